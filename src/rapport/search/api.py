"""Search routes (filled in by the search service)."""

from fastapi import APIRouter

router = APIRouter(tags=["search"])
