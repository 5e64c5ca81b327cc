"""The HTTP API behind API Gateway: the FastAPI app from the core library, wrapped by Mangum."""

from mangum import Mangum

from mastra.api import create_app

app = create_app()
handler = Mangum(app, lifespan="off")
