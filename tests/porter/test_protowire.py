import pytest

from porter.protowire import LENGTH, VARINT, fields, length_field, read_varint, varint, varint_field


@pytest.mark.parametrize("n", [0, 1, 127, 128, 300, 2**32, 2**63 - 1])
def test_varints_round_trip(n):
    encoded = varint(n)
    assert read_varint(encoded, 0) == (n, len(encoded))


def test_fields_give_spans_into_the_buffer_without_copying():
    inner = varint_field(1, 5) + length_field(2, b"abc")
    message = length_field(7, inner) + varint_field(3, 300)
    found = list(fields(memoryview(message)))
    assert [(f.number, f.wire) for f in found] == [(7, LENGTH), (3, VARINT)]
    assert found[1].value == 300
    assert message[found[0].start : found[0].end] == length_field(7, inner)
    nested = list(fields(message, found[0].payload, found[0].end))
    assert nested[0].value == 5 and message[nested[1].payload : nested[1].end] == b"abc"


@pytest.mark.parametrize("data", [length_field(1, b"abcdef")[:-2], b"\x80\x80", bytes([(1 << 3) | 3])])
def test_truncated_or_unknown_fields_are_value_errors(data):
    with pytest.raises(ValueError):
        list(fields(data))
