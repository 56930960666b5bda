"""GET /healthz for probes."""

from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get(
    "/healthz", responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}}
)
async def healthz() -> dict:
    """200 while the server is up with its weights loaded."""
    return {"status": "ok"}
