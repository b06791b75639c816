"""A local eBay: OAuth consent and tokens, the Sell Fulfillment API and the Sell Inventory API (the parts
Stockroom uses), with daily call quotas, faults, a simulated clock and a /_sim/ control API."""
