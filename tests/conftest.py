import os

# Keep framework logs out of test output; numbers are unaffected.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("FLAGS_call_stack_level", "0")
