"""API errors: a status code and the plain-text body g5k-api sends (`render plain:`)."""
from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, text: str, headers: dict[str, str] | None = None):
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers or {}


def oar_error(site: str, text: str) -> ApiError:
    """An OAR refusal as g5k-api relays it (application_helper.rb#continue_if!)."""
    return ApiError(400, f"Request to http://oar-api.{site}.grid5000.fr:6668/oarapi/jobs.json "
                         f"failed with status 400: {text}")


def kavlan_error(site: str, status: int, text: str) -> ApiError:
    return ApiError(status, f"Request to http://kavlan.{site}.grid5000.fr:8080/kavlan "
                            f"failed with status {status}: {text}")


def not_authenticated() -> ApiError:
    return ApiError(403, "You are not authorized to access this resource")
