"""The floor: a bare FastAPI hello-world, served exactly like Rapport, so ratios hold on a noisy machine."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
def hello() -> dict:
    """The least an endpoint can do."""
    return {"hello": "world"}
