"""API: the FastAPI application and its web pages, a thin shell over the layers below."""
