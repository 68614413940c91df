from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_message import ErrorMessage
from ...models.post_prompt_ui_response_200 import PostPromptUiResponse200
from ...models.prompt_error import PromptError
from ...models.prompt_request import PromptRequest
from ...models.validation_error_dict import ValidationErrorDict
from ...types import Response


def _get_kwargs(
    *,
    body: PromptRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/prompt",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorMessage | PostPromptUiResponse200 | PromptError | ValidationErrorDict | None:
    if response.status_code == 200:
        response_200 = PostPromptUiResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = PromptError.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorMessage.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorMessage.from_dict(response.json())

        return response_403

    if response.status_code == 413:
        response_413 = ValidationErrorDict.from_dict(response.json())

        return response_413

    if response.status_code == 429:
        response_429 = PromptError.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = PromptError.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[
    ErrorMessage | PostPromptUiResponse200 | PromptError | ValidationErrorDict
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PromptRequest,
) -> Response[
    ErrorMessage | PostPromptUiResponse200 | PromptError | ValidationErrorDict
]:
    """Queue a prompt (it runs later; follow it on `/ws` or `/history/{prompt_id}`).

    Args:
        body (PromptRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | PostPromptUiResponse200 | PromptError | ValidationErrorDict]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: PromptRequest,
) -> ErrorMessage | PostPromptUiResponse200 | PromptError | ValidationErrorDict | None:
    """Queue a prompt (it runs later; follow it on `/ws` or `/history/{prompt_id}`).

    Args:
        body (PromptRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | PostPromptUiResponse200 | PromptError | ValidationErrorDict
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PromptRequest,
) -> Response[
    ErrorMessage | PostPromptUiResponse200 | PromptError | ValidationErrorDict
]:
    """Queue a prompt (it runs later; follow it on `/ws` or `/history/{prompt_id}`).

    Args:
        body (PromptRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | PostPromptUiResponse200 | PromptError | ValidationErrorDict]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: PromptRequest,
) -> ErrorMessage | PostPromptUiResponse200 | PromptError | ValidationErrorDict | None:
    """Queue a prompt (it runs later; follow it on `/ws` or `/history/{prompt_id}`).

    Args:
        body (PromptRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | PostPromptUiResponse200 | PromptError | ValidationErrorDict
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
