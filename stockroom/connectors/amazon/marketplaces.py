"""Amazon marketplaces and regions, from Amazon's public SP-API documentation
("Marketplace IDs" and "SP-API endpoints" pages). Facts, not code: kept as a table.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Marketplace:
    code: str  # what sellers type: UK, DE, US ...
    marketplace_id: str
    country: str
    region: str  # na | eu | fe
    currency: str
    domain: str


MARKETPLACES: dict[str, Marketplace] = {
    m.code: m
    for m in [
        Marketplace("CA", "A2EUQ1WTGCTBG2", "Canada", "na", "CAD", "amazon.ca"),
        Marketplace("US", "ATVPDKIKX0DER", "United States", "na", "USD", "amazon.com"),
        Marketplace("MX", "A1AM78C64UM0Y8", "Mexico", "na", "MXN", "amazon.com.mx"),
        Marketplace("BR", "A2Q3Y263D00KWC", "Brazil", "na", "BRL", "amazon.com.br"),
        Marketplace("IE", "A28R8C7NBKEWEA", "Ireland", "eu", "EUR", "amazon.ie"),
        Marketplace("ES", "A1RKKUPIHCS9HS", "Spain", "eu", "EUR", "amazon.es"),
        Marketplace("UK", "A1F83G8C2ARO7P", "United Kingdom", "eu", "GBP", "amazon.co.uk"),
        Marketplace("FR", "A13V1IB3VIYZZH", "France", "eu", "EUR", "amazon.fr"),
        Marketplace("BE", "AMEN7PMS3EDWL", "Belgium", "eu", "EUR", "amazon.com.be"),
        Marketplace("NL", "A1805IZSGTT6HS", "Netherlands", "eu", "EUR", "amazon.nl"),
        Marketplace("DE", "A1PA6795UKMFR9", "Germany", "eu", "EUR", "amazon.de"),
        Marketplace("IT", "APJ6JRA9NG5V4", "Italy", "eu", "EUR", "amazon.it"),
        Marketplace("SE", "A2NODRKZP88ZB9", "Sweden", "eu", "SEK", "amazon.se"),
        Marketplace("ZA", "AE08WJ6YKNBMC", "South Africa", "eu", "ZAR", "amazon.co.za"),
        Marketplace("PL", "A1C3SOZRARQ6R3", "Poland", "eu", "PLN", "amazon.pl"),
        Marketplace("EG", "ARBP9OOSHTCHU", "Egypt", "eu", "EGP", "amazon.eg"),
        Marketplace("TR", "A33AVAJ2PDY3EV", "Turkey", "eu", "TRY", "amazon.com.tr"),
        Marketplace("SA", "A17E79C6D8DWNP", "Saudi Arabia", "eu", "SAR", "amazon.sa"),
        Marketplace("AE", "A2VIGQ35RCS4UG", "United Arab Emirates", "eu", "AED", "amazon.ae"),
        Marketplace("IN", "A21TJRUUN4KGV", "India", "eu", "INR", "amazon.in"),
        Marketplace("SG", "A19VAU5U5O7RUS", "Singapore", "fe", "SGD", "amazon.sg"),
        Marketplace("AU", "A39IBJ37TRP1C6", "Australia", "fe", "AUD", "amazon.com.au"),
        Marketplace("JP", "A1VC38T7YXB528", "Japan", "fe", "JPY", "amazon.co.jp"),
    ]
}
BY_ID: dict[str, Marketplace] = {m.marketplace_id: m for m in MARKETPLACES.values()}
ALIASES = {"GB": "UK"}

# Production SP-API endpoints and the Login with Amazon token URL.
REGION_ENDPOINTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
NO_MARKETPLACE = {
    "DK": "Amazon has no Danish marketplace; Danish buyers order from Amazon.de (DE) or Amazon.se (SE)"
}


class UnknownMarketplace(ValueError):
    pass


def resolve_marketplaces(codes, *, region: str) -> list[Marketplace]:
    """Country codes or marketplace ids -> marketplaces of ``region``, with a seller-readable error."""
    resolved = []
    for raw in codes:
        code = str(raw).strip().upper()
        if not code:
            continue
        code = ALIASES.get(code, code)
        if code in NO_MARKETPLACE:
            raise UnknownMarketplace(NO_MARKETPLACE[code])
        marketplace = MARKETPLACES.get(code) or BY_ID.get(str(raw).strip())
        if marketplace is None:
            known = ", ".join(sorted(MARKETPLACES))
            raise UnknownMarketplace(f"unknown Amazon marketplace {str(raw).strip()[:20]!r}; known: {known}")
        if marketplace.region != region.lower():
            raise UnknownMarketplace(
                f"marketplace {marketplace.code} belongs to the {marketplace.region.upper()} region, "
                f"not {region.upper()}: add it under a {marketplace.region.upper()} account"
            )
        if marketplace not in resolved:
            resolved.append(marketplace)
    if not resolved:
        raise UnknownMarketplace("name at least one marketplace, e.g. UK,DE")
    return resolved


def marketplace_code(marketplace_id: str) -> str:
    """The seller-facing code (UK, DE ...) of a marketplace id; unknown ids are returned unchanged."""
    found = BY_ID.get(marketplace_id)
    return found.code if found else marketplace_id


BY_DOMAIN: dict[str, Marketplace] = {m.domain: m for m in MARKETPLACES.values()}

# Amazon's CarrierCode values for shipment confirmations (Amazon's "carrier codes" list in the
# feed/confirmShipment documentation, a subset of several hundred; matched case-insensitively). Any other
# carrier is sent as "Other" with the carrier's name in carrierName, which Amazon has required since 2021.
CARRIER_CODES = (
    "Amazon Shipping", "Asendia", "Australia Post", "Blue Package", "BlueDart", "BRT", "Canada Post",
    "Canpar", "CELERITAS", "China Post", "Chronopost", "City Link", "Colis Prive", "Colissimo", "Correos",
    "Correos Express", "Delhivery", "Deutsche Post", "DHL", "DHL eCommerce", "DHL Global Mail",
    "DHL Home Delivery", "DPD", "DTDC", "DX", "Estafeta", "Evri", "Fastway", "FedEx", "FedEx SmartPost",
    "GLS", "GO!", "Hermes", "Hermes Logistik Gruppe", "India Post", "InPost", "Japan Post", "La Poste",
    "Lasership", "MRW", "Nacex", "Newgistics", "NipponExpress", "OnTrac", "OSM", "Parcelforce", "Parcelnet",
    "Poczta Polska", "Poste Italiane", "PostNL", "PostNord", "Purolator", "Royal Mail", "SagawaExpress",
    "SDA", "Seino", "SEUR", "Smartmail", "Streamlite", "Target", "TNT", "UPS", "UPS Mail Innovations",
    "UPSMI", "USPS", "YamatoTransport", "Yodel",
)  # fmt: skip
CARRIER_BY_LOWER = {code.lower(): code for code in CARRIER_CODES}
