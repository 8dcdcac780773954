from fastapi import APIRouter

from rapport.web.pages import WorkspaceRoute

router = APIRouter(route_class=WorkspaceRoute, include_in_schema=False)
