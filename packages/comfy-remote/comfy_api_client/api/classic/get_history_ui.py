from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_message import ErrorMessage
from ...models.get_history_ui_response_200 import GetHistoryUiResponse200
from ...models.validation_error_dict import ValidationErrorDict
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    max_items: int | Unset = UNSET,
    offset: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["max_items"] = max_items

    params["offset"] = offset

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/history",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorMessage | GetHistoryUiResponse200 | ValidationErrorDict | None:
    if response.status_code == 200:
        response_200 = GetHistoryUiResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ValidationErrorDict.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorMessage.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorMessage.from_dict(response.json())

        return response_403

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorMessage | GetHistoryUiResponse200 | ValidationErrorDict]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    max_items: int | Unset = UNSET,
    offset: int | Unset = UNSET,
) -> Response[ErrorMessage | GetHistoryUiResponse200 | ValidationErrorDict]:
    """Finished prompts, oldest first.

    Args:
        max_items (int | Unset):
        offset (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | GetHistoryUiResponse200 | ValidationErrorDict]
    """

    kwargs = _get_kwargs(
        max_items=max_items,
        offset=offset,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    max_items: int | Unset = UNSET,
    offset: int | Unset = UNSET,
) -> ErrorMessage | GetHistoryUiResponse200 | ValidationErrorDict | None:
    """Finished prompts, oldest first.

    Args:
        max_items (int | Unset):
        offset (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | GetHistoryUiResponse200 | ValidationErrorDict
    """

    return sync_detailed(
        client=client,
        max_items=max_items,
        offset=offset,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    max_items: int | Unset = UNSET,
    offset: int | Unset = UNSET,
) -> Response[ErrorMessage | GetHistoryUiResponse200 | ValidationErrorDict]:
    """Finished prompts, oldest first.

    Args:
        max_items (int | Unset):
        offset (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | GetHistoryUiResponse200 | ValidationErrorDict]
    """

    kwargs = _get_kwargs(
        max_items=max_items,
        offset=offset,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    max_items: int | Unset = UNSET,
    offset: int | Unset = UNSET,
) -> ErrorMessage | GetHistoryUiResponse200 | ValidationErrorDict | None:
    """Finished prompts, oldest first.

    Args:
        max_items (int | Unset):
        offset (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | GetHistoryUiResponse200 | ValidationErrorDict
    """

    return (
        await asyncio_detailed(
            client=client,
            max_items=max_items,
            offset=offset,
        )
    ).parsed
