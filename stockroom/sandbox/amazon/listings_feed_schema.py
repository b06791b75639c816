"""JSON Schema of the JSON_LISTINGS_FEED document (v2), vendored for the simulator's runtime validation.

Source: GitHub amzn/selling-partner-api-models, commit 34dc93fe45f37c9a0b2e56823c808f68b4f81754,
file schemas/feeds/listings-feed-schema-v2.json.  Licence: Apache License 2.0 (Copyright Amazon.com, Inc. or
its affiliates).  Modified: the human-readable keys "title", "description", "examples", "example" and
"$comment" were removed; every validation keyword is unchanged.  tests/sandbox/test_vendored_schema.py checks
this copy against the reference file.
"""

LISTINGS_FEED_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "properties": {
        "header": {
            "properties": {
                "sellerId": {"type": "string"},
                "version": {"const": "2.0", "type": "string"},
                "issueLocale": {"type": "string"},
                "report": {
                    "properties": {
                        "includedData": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "string",
                                "enum": [
                                    "summaries",
                                    "attributes",
                                    "issues",
                                    "offers",
                                    "fulfillmentAvailability",
                                    "procurement",
                                    "relationships",
                                    "productTypes",
                                ],
                            },
                        },
                        "apiVersion": {"type": "string", "enum": ["2021-08-01"]},
                    },
                    "required": ["includedData", "apiVersion"],
                    "type": "object",
                },
            },
            "required": ["sellerId", "version"],
            "type": "object",
        },
        "messages": {
            "minItems": 1,
            "maxItems": 25000,
            "items": {
                "properties": {
                    "messageId": {"minimum": 1, "type": "integer", "maximum": 2147483647},
                    "sku": {"minLength": 1, "type": "string"},
                    "operationType": {
                        "enum": ["UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE"],
                        "type": "string",
                    },
                    "productType": {"minLength": 1, "type": "string"},
                    "requirements": {
                        "default": "LISTING",
                        "enum": ["LISTING", "LISTING_PRODUCT_ONLY", "LISTING_OFFER_ONLY"],
                        "type": "string",
                    },
                    "attributes": {"additionalProperties": True, "minProperties": 1, "type": "object"},
                    "patches": {
                        "minItems": 1,
                        "items": {
                            "properties": {
                                "op": {"enum": ["add", "replace", "merge", "delete"], "type": "string"},
                                "path": {"type": "string"},
                                "value": {
                                    "type": "array",
                                    "items": {"type": "object", "additionalProperties": True},
                                },
                            },
                            "required": ["op", "path"],
                            "type": "object",
                        },
                        "type": "array",
                    },
                },
                "required": ["messageId", "sku", "operationType"],
                "oneOf": [
                    {
                        "properties": {
                            "operationType": {"const": "UPDATE", "type": "string"},
                            "patches": False,
                        },
                        "required": ["productType", "attributes"],
                    },
                    {
                        "properties": {
                            "operationType": {"const": "DELETE", "type": "string"},
                            "requirements": False,
                            "attributes": False,
                            "productType": False,
                            "patches": False,
                        }
                    },
                    {
                        "properties": {
                            "operationType": {"const": "PARTIAL_UPDATE", "type": "string"},
                            "requirements": False,
                            "patches": False,
                        },
                        "required": ["productType", "attributes"],
                    },
                    {
                        "properties": {
                            "operationType": {"const": "PATCH", "type": "string"},
                            "requirements": False,
                            "attributes": False,
                        },
                        "required": ["productType", "patches"],
                    },
                ],
                "type": "object",
            },
            "type": "array",
        },
    },
    "required": ["header", "messages"],
    "type": "object",
}
