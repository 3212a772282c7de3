"""porter.lower.optional: instances differing only in an optional sub-module (an identity in some) are one
class whose constructor takes the choice; any other difference keeps them apart."""

from porter.codegen.statements import Statement, render_all
from porter.lower.constructors import merge_by_constructor
from porter.lower.structure import ClassDef


def _layer(name: str, width: int, returns: str, extra: str = "") -> ClassDef:
    init = Statement.parse(f"self.fc = nn.Linear({width}, {width}){extra}")
    return ClassDef(name, init, ["x"], [], [returns], source_class="Layer")


def _merged(*classes: ClassDef) -> tuple[list[ClassDef], list[str]]:
    classes = list(classes)
    root = Statement.parse("\n".join(f"self.m{i} = {c.name}()" for i, c in enumerate(classes)))
    merge_by_constructor(classes, root)
    return classes, render_all(root)


def test_an_activation_in_some_instances_is_a_constructor_choice():
    classes, root = _merged(_layer("Layer", 8, "nn.functional.relu(self.fc(x))"), _layer("Layer2", 16, "self.fc(x)"))
    assert [c.name for c in classes] == ["Layer"]
    assert render_all(classes[0].init_body)[-1] == "self.activation = nn.ReLU() if activation else nn.Identity()"
    assert classes[0].return_exprs == ["self.activation(self.fc(x))"]
    assert root == ["self.m0 = Layer(8, 8, activation=True)", "self.m1 = Layer(16, 16, activation=False)"]


def test_a_choice_most_instances_make_is_the_default():
    relu = "nn.functional.relu(self.fc(x))"
    classes, root = _merged(_layer("Layer", 8, relu), _layer("Layer2", 16, relu), _layer("Layer3", 32, "self.fc(x)"))
    assert classes[0].init_params[-1] == "activation" and classes[0].defaults == {"activation": "True"}
    assert root == ["self.m0 = Layer(8, 8)", "self.m1 = Layer(16, 16)", "self.m2 = Layer(32, 32, activation=False)"]


def test_a_sub_module_in_some_instances_is_a_constructor_choice():
    with_shortcut = _layer("Layer", 8, "self.fc(x) + self.shortcut(x)", "\nself.shortcut = ShortCut()")
    classes, root = _merged(with_shortcut, _layer("Layer2", 8, "self.fc(x) + x"))
    assert [c.name for c in classes] == ["Layer"]
    assert "self.shortcut = ShortCut() if shortcut else nn.Identity()" in render_all(classes[0].init_body)
    assert root == ["self.m0 = Layer(shortcut=True)", "self.m1 = Layer(shortcut=False)"]


def test_another_computation_keeps_the_classes_apart():
    # relu against sigmoid, and an activation against another place in the forward: not one optional call
    classes, _ = _merged(_layer("Layer", 8, "nn.functional.relu(self.fc(x))"), _layer("Layer2", 8, "nn.functional.sigmoid(self.fc(x))"))  # fmt: skip
    assert [c.name for c in classes] == ["Layer", "Layer2"]
    classes, _ = _merged(_layer("Layer", 8, "nn.functional.relu(self.fc(x)) * 2"), _layer("Layer2", 8, "self.fc(x)"))
    assert [c.name for c in classes] == ["Layer", "Layer2"]
    # the same optional call, but the rest of __init__ differs beyond literals
    classes, _ = _merged(_layer("Layer", 8, "nn.functional.relu(self.fc(x))", "\nself.w = P()"), _layer("Layer2", 8, "self.fc(x)"))  # fmt: skip
    assert [c.name for c in classes] == ["Layer", "Layer2"]


def test_a_module_list_called_whole_or_empty_is_looped_over():
    """ConvNeXt's stages: downsampling layers where the width changes, an empty list elsewhere."""
    down = "self.down = nn.LayerList([nn.Conv2D(4, 8, 2), nn.Conv2D(8, 8, 1)])\n"
    full = ClassDef("Stage", Statement.parse(f"{down}self.fc = nn.Linear(8, 8)"), ["x"], [], ["self.fc(self.down[1](self.down[0](x)))"], source_class="Stage")  # fmt: skip
    bare = ClassDef("Stage2", Statement.parse("self.fc = nn.Linear(4, 4)"), ["x"], [], ["self.fc(x)"], source_class="Stage")  # fmt: skip
    classes, root = _merged(full, bare)
    assert [c.name for c in classes] == ["Stage"]
    assert render_all(classes[0].forward_body) == ["for layer in self.down:", "    x = layer(x)"]
    assert classes[0].return_exprs == ["self.fc(x)"]
    assert render_all(classes[0].init_body)[0].endswith("if down else [])")
    assert root == ["self.m0 = Stage(8, 8, down=True)", "self.m1 = Stage(4, 4, down=False)"]


def _decoder(name: str, mlp: str) -> ClassDef:
    init = Statement.parse(f"self.norm = nn.LayerNorm(8)\nself.mlp = {mlp}")
    return ClassDef(name, init, ["h"], [], ["h + self.mlp(self.norm(h))"], source_class="Decoder")


def test_instances_holding_either_of_two_classes_in_one_attribute_are_one_class():
    """DeepSeek-V3's decoder layer: a DeepseekV3MLP in its first layer, a DeepseekV3MoE in the others."""
    mlp = ClassDef("DeepseekV3MLP", Statement.parse("self.fc = nn.Linear(8, 8)"), ["x"], [], ["self.fc(x)"], source_class="DeepseekV3MLP")  # fmt: skip
    moe = ClassDef("DeepseekV3MoE", Statement.parse("self.gate = nn.Linear(8, 2)"), ["x"], [], ["self.gate(x)"], source_class="DeepseekV3MoE")  # fmt: skip
    classes, root = _merged(mlp, moe, _decoder("Decoder", "DeepseekV3MLP()"), _decoder("Decoder2", "DeepseekV3MoE()"))
    assert [c.name for c in classes] == ["DeepseekV3MLP", "DeepseekV3MoE", "Decoder"]
    assert render_all(classes[2].init_body)[-1] == "self.mlp = DeepseekV3MoE() if moe else DeepseekV3MLP()"
    assert root[2:] == ["self.m2 = Decoder(moe=False)", "self.m3 = Decoder(moe=True)"]


def test_two_classes_of_one_source_class_in_one_attribute_wait_for_their_own_merge():
    # Block and Block2 are one source class: they merge by their literals, then the decoders are one class
    block = ClassDef("Block", Statement.parse("self.fc = nn.Linear(8, 8)"), ["x"], [], ["self.fc(x)"], source_class="Block")  # fmt: skip
    block2 = ClassDef("Block2", Statement.parse("self.fc = nn.Linear(8, 16)"), ["x"], [], ["self.fc(x)"], source_class="Block")  # fmt: skip
    classes, root = _merged(block, block2, _decoder("Decoder", "Block()"), _decoder("Decoder2", "Block2()"))
    assert [c.name for c in classes] == ["Block", "Decoder"]
    assert "if" not in " ".join(render_all(classes[1].init_body))


def test_either_class_called_differently_keeps_the_classes_apart():
    a = ClassDef("A", Statement.parse("self.fc = nn.Linear(8, 8)"), ["x"], [], ["self.fc(x)"], source_class="A")
    b = ClassDef("B", Statement.parse("self.fc = nn.Linear(8, 8)"), ["x"], [], ["self.fc(x)"], source_class="B")
    other = ClassDef("Decoder2", Statement.parse("self.norm = nn.LayerNorm(8)\nself.mlp = B()"), ["h"], [], ["self.mlp(h)"], source_class="Decoder")  # fmt: skip
    classes, _ = _merged(a, b, _decoder("Decoder", "A()"), other)
    assert [c.name for c in classes] == ["A", "B", "Decoder", "Decoder2"]
