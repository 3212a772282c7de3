"""The protobuf wire format, by hand, for the few places that must not go through the protobuf library:
writing a MindSpore checkpoint one tensor at a time, and finding the weights inside an ONNX file without
copying them (the library would parse every weight byte into memory)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def length_prefix(number: int, length: int) -> bytes:
    """The key and length of a length-delimited field (its payload follows)."""
    return varint((number << 3) | LENGTH) + varint(length)


def length_field(number: int, payload: bytes) -> bytes:
    return length_prefix(number, len(payload)) + payload


def varint_field(number: int, value: int) -> bytes:
    return varint((number << 3) | VARINT) + varint(value)


def read_varint(data, pos: int, end: int | None = None) -> tuple[int, int]:
    end = len(data) if end is None else end
    if pos < end and data[pos] < 0x80:  # one byte: most keys and small lengths
        return data[pos], pos + 1
    value, shift = 0, 0
    while True:
        if pos >= end or shift > 63:
            raise ValueError("truncated or overlong varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


class Field(NamedTuple):
    number: int
    wire: int
    start: int  # where the field's key begins
    payload: int  # where its value begins
    end: int  # one past its last byte
    value: int = 0  # the number, for varints


def fields(data, start: int = 0, end: int | None = None) -> Iterator[Field]:
    """The fields of the message in data[start:end] (bytes, a memoryview or an mmap), without copying."""
    end = len(data) if end is None else end
    pos = start
    while pos < end:
        key, payload = read_varint(data, pos, end)
        number, wire = key >> 3, key & 7
        value = 0
        if wire == VARINT:
            value, stop = read_varint(data, payload, end)
        elif wire == LENGTH:
            length, payload = read_varint(data, payload, end)
            stop = payload + length
        elif wire == FIXED64:
            stop = payload + 8
        elif wire == FIXED32:
            stop = payload + 4
        else:
            raise ValueError(f"unexpected wire type {wire}")
        if stop > end:
            raise ValueError("truncated field")
        yield Field(number, wire, pos, payload, stop, value)
        pos = stop
