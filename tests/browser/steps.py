"""Steps every channel's browser journeys take the same way (the seller's clicks, not a channel's)."""

from playwright.sync_api import expect

CHANNEL = 60_000  # expectations after a request that talks to a simulated channel


def synchronise(page, url) -> None:
    """Synchronise now, on the Synchronise screen, until the run has finished."""
    page.goto(url("/sync/"))
    page.get_by_role("button", name="Synchronise now").click()
    expect(page.locator("#sync-progress")).to_contain_text("Finished.", timeout=CHANNEL)


def process_with_tracking(page, url, order_id: str, tracking_number: str, shipping_method: str) -> None:
    """Process one order from Open Orders with a tracking number and shipping method."""
    page.goto(url("/orders/"))
    page.get_by_label(f"Select order {order_id}").check()
    page.get_by_label(f"Tracking number for {order_id}").fill(tracking_number)
    page.get_by_label("Shipping method", exact=True).select_option(shipping_method)
    page.get_by_role("button", name="Process selected").click()
    expect(page.locator("[data-batch-progress-text]")).to_have_text("Done: 1 processed.", timeout=CHANNEL)


def link_identical_skus(page, url, account_id: int, imported: str, count: int, *, preview=None) -> None:
    """Import the account's listings, open the preview of links by identical SKU and link them;
    ``preview(page)`` is called on the preview before the button is pressed."""
    page.goto(url(f"/accounts/{account_id}/listings/"))
    page.get_by_role("button", name="Import listings from the channel").click()
    status = page.locator("#listings-import")
    expect(status).to_contain_text(imported, timeout=CHANNEL)
    status.get_by_role("link", name=f"Review {count} link(s) by identical SKU").click()
    if preview is not None:
        preview(page)
    page.get_by_role("button", name=f"Link these {count}").click()
    expect(page.locator(".messages")).to_contain_text(
        f"Linked {count} listing(s) by identical SKU.", timeout=CHANNEL
    )


def map_shipping_method(page, url, account_id: int, shipping_method: str, carrier_code: str) -> None:
    """Map an internal shipping method to the channel's carrier code on the account's screen."""
    page.goto(url(f"/accounts/{account_id}/"))
    page.get_by_label("Shipping method", exact=True).select_option(shipping_method)
    page.get_by_label("Carrier code").select_option(carrier_code)
    page.get_by_role("button", name="Save mapping").click()
    expect(page.locator(".messages")).to_contain_text(f"{shipping_method} is sent as {carrier_code}")
