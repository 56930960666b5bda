"""The HTML pages."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lenet_vis.assets import TEMPLATES

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES)


@router.get("/", response_class=HTMLResponse)
async def visualize(request: Request):
    return templates.TemplateResponse(request, "index.html", {"page": "visualize"})


@router.get("/learn", response_class=HTMLResponse)
async def learn(request: Request):
    return templates.TemplateResponse(request, "learn.html", {"page": "learn"})


@router.get("/model", response_class=HTMLResponse)
async def model_card(request: Request):
    return templates.TemplateResponse(request, "model.html", {"page": "model"})
