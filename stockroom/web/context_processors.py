def navigation(request):
    return {"nav_active": getattr(getattr(request, "resolver_match", None), "url_name", "") or ""}
