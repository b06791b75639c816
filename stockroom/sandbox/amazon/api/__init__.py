"""The SP-API operations of the Amazon simulator, one module per API family, and their HTTP plumbing."""
