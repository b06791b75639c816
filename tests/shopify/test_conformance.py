"""Conformance: the Shopify simulator's own SDL and every GraphQL document Stockroom sends, against Shopify's
official Admin GraphQL schema (the 2025-01 introspection among the official contracts).

The version overlays (2026-01 / 2026-04: ``changeFromQuantity``, ``CHANGE_FROM_QUANTITY_STALE``,
``@idempotent``) are newer than the official file; they are named in ``schema.OVERLAY_FIELDS`` and applied to
the official schema as extensions before Stockroom's documents are validated, exactly as Shopify's
changelog describes them.
"""

from __future__ import annotations

import gzip
import json
from functools import cache

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_client_schema,
    extend_schema,
    parse,
    validate,
)

from stockroom.connectors.shopify import operations
from stockroom.sandbox.shopify import schema as sim_schema
from tests.reference import official

pytestmark = pytest.mark.conformance


@cache
def _official() -> GraphQLSchema:
    path = official("admin_schema_2025-01.json.gz", channel="shopify")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return build_client_schema(data["data"], assume_valid=True)


@cache
def _official_with_overlays() -> GraphQLSchema:
    return extend_schema(
        _official(),
        parse(
            sim_schema.IDEMPOTENT_DIRECTIVE
            + "\nextend input InventoryQuantityInput { changeFromQuantity: Int }"
            + "\nextend input InventoryChangeInput { changeFromQuantity: Int }"
            + "\nextend enum InventorySetQuantitiesUserErrorCode { CHANGE_FROM_QUANTITY_STALE }"
        ),
        assume_valid=True,
    )


def _differences(ours: GraphQLSchema, theirs: GraphQLSchema) -> list[str]:
    problems = []
    for name, our_type in ours.type_map.items():
        if name.startswith("__"):
            continue
        their_type = theirs.type_map.get(name)
        if their_type is None:
            problems.append(f"type {name} is not in Shopify's schema")
            continue
        if type(our_type) is not type(their_type):
            problems.append(f"{name} is a {type(our_type).__name__} here, {type(their_type).__name__} there")
            continue
        if isinstance(our_type, GraphQLEnumType):
            for value in our_type.values:
                if (name, value) in sim_schema.OVERLAY_FIELDS:
                    continue
                if value not in their_type.values:
                    problems.append(f"enum value {name}.{value} is not in Shopify's schema")
        elif isinstance(our_type, GraphQLUnionType):
            theirs_members = {t.name for t in their_type.types}
            problems += [
                f"{name} member {t.name} unknown" for t in our_type.types if t.name not in theirs_members
            ]
        elif isinstance(our_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in our_type.fields.items():
                if (name, field_name) in sim_schema.OVERLAY_FIELDS:
                    continue
                their_field = their_type.fields.get(field_name)
                if their_field is None:
                    problems.append(f"field {name}.{field_name} is not in Shopify's schema")
                    continue
                if str(field.type) != str(their_field.type):
                    problems.append(f"{name}.{field_name} is {field.type} here, {their_field.type} there")
                for arg_name, arg in getattr(field, "args", {}).items():
                    their_arg = their_field.args.get(arg_name)
                    if their_arg is None:
                        problems.append(
                            f"argument {name}.{field_name}({arg_name}) is not in Shopify's schema"
                        )
                    elif str(arg.type) != str(their_arg.type):
                        problems.append(
                            f"{name}.{field_name}({arg_name}) is {arg.type} here, {their_arg.type} there"
                        )
            if isinstance(our_type, GraphQLInputObjectType):  # we accept no less than Shopify requires
                for field_name, their_field in their_type.fields.items():
                    required = str(their_field.type).endswith("!") and their_field.default_value is None
                    if required and field_name not in our_type.fields:
                        problems.append(f"required input field {name}.{field_name} is missing here")
    return problems


@pytest.mark.parametrize("version", ["2025-01", "2026-04"])
def test_every_type_field_argument_and_enum_value_of_the_simulator_is_shopifys(version):
    assert _differences(sim_schema.schema(version), _official()) == []


def test_the_overlays_are_only_the_documented_2026_changes():
    base = sim_schema.schema("2025-01")
    latest = sim_schema.schema("2026-04")
    assert "changeFromQuantity" not in base.type_map["InventoryQuantityInput"].fields
    assert "changeFromQuantity" in latest.type_map["InventoryQuantityInput"].fields
    assert "compareQuantity" not in latest.type_map["InventoryQuantityInput"].fields
    assert "ignoreCompareQuantity" not in latest.type_map["InventorySetQuantitiesInput"].fields
    assert latest.get_directive("idempotent") is not None and base.get_directive("idempotent") is None
    assert _differences(latest, _official_with_overlays()) == []


@pytest.mark.parametrize("name", sorted(operations.DOCUMENTS))
def test_every_document_stockroom_sends_validates_against_shopifys_schema(name):
    document = parse(operations.DOCUMENTS[name])
    assert [error.message for error in validate(_official_with_overlays(), document)] == []
    assert [error.message for error in validate(sim_schema.schema(sim_schema.LATEST), document)] == []


def test_an_unknown_field_fails_as_in_production():
    document = parse("{ shop { name notAField } }")
    assert validate(_official(), document)
    assert validate(sim_schema.schema(sim_schema.LATEST), document)
