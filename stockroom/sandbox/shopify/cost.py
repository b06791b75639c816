"""Shopify's calculated query cost and its leaky bucket per app and shop.

Requested cost (before running): a scalar or enum costs 0, an object 1, a connection 2 plus ``first`` times
what one of its nodes costs, a list with ``first`` that many objects, a mutation's root field 10. Actual cost: the same over what was returned. The
bucket holds ``bucket_size`` points (2,000 on the Standard plan) and refills at ``restore_rate`` a second; a
document asking for more than ``max_query_cost`` (1,000) is refused outright.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    get_named_type,
    is_leaf_type,
)

MUTATION_COST = 10


def _is_list(type_) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


class CostWalker:
    def __init__(self, schema: GraphQLSchema, fragments: dict, variables: dict | None) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables or {}

    def fields(self, selection_set, parent):
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                target = (
                    self.schema.type_map[selection.type_condition.name.value]
                    if selection.type_condition
                    else parent
                )
                yield from self.fields(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    yield from self.fields(
                        fragment.selection_set, self.schema.type_map[fragment.type_condition.name.value]
                    )

    def size(self, node: FieldNode) -> int:
        """The ``first`` (or ``last``) argument of a connection field, a literal or a variable."""
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                value = argument.value
                if value.kind == "variable":
                    found = self.variables.get(value.name.value)
                    return found if isinstance(found, int) and not isinstance(found, bool) else 0
                if value.kind == "int_value":
                    return int(value.value)
        return 0

    def cost(self, selection_set, parent, data: Any, static: bool, size: int = 1) -> int:
        total = 0
        for node, owner in self.fields(selection_set, parent):
            if not isinstance(owner, GraphQLObjectType):
                continue
            definition = owner.fields.get(node.name.value)
            if definition is None:
                continue
            named = get_named_type(definition.type)
            if is_leaf_type(named):
                continue
            key = node.alias.value if node.alias else node.name.value
            child = data.get(key) if isinstance(data, dict) else None
            if named.name.endswith("Connection"):
                first = self.size(node)
                total += 2 + self.cost(node.selection_set, named, child, static, first)
            elif _is_list(definition.type):
                if static:  # a list with ``first`` counts that many; the nodes of a connection its size
                    count = self.size(node) or size
                    total += count * (1 + self.cost(node.selection_set, named, None, static))
                else:
                    total += sum(
                        1 + self.cost(node.selection_set, named, item, static) for item in child or []
                    )
            else:
                if not static and child is None:
                    continue
                total += 1 + self.cost(node.selection_set, named, child, static)
        return total


def query_cost(
    schema: GraphQLSchema, document, operation: OperationDefinitionNode, variables, data=None
) -> int:
    """Requested cost (``data`` None) or actual cost over the result's ``data``."""
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    walker = CostWalker(schema, fragments, variables)
    static = data is None
    if operation.operation.value == "mutation":
        total = 0
        for _node, _owner in walker.fields(operation.selection_set, schema.mutation_type):
            total += MUTATION_COST
        return total
    return walker.cost(operation.selection_set, schema.query_type, data, static)


def take(buckets: dict, key: str, *, cost: int, size: float, rate: float, now: float) -> tuple[bool, float]:
    """Charge ``cost`` points from the bucket ``key`` if it holds them: (charged, points left)."""
    available, last = buckets.get(key, [float(size), now])
    available = min(float(size), available + max(0.0, now - last) * rate)
    if cost > available:
        buckets[key] = [available, now]
        return False, available
    buckets[key] = [available - cost, now]
    return True, available - cost


def refund(buckets: dict, key: str, points: float, *, size: float) -> float:
    available, last = buckets[key]
    buckets[key] = [min(float(size), available + points), last]
    return buckets[key][0]
