"""Mapping tables, one package per target (installed as porter.op_maps.<target>)."""
