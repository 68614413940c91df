from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_message import ErrorMessage
from ...models.get_object_info_node_ui_response_200 import (
    GetObjectInfoNodeUiResponse200,
)
from ...types import Response


def _get_kwargs(
    node_class: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/object_info/{node_class}".format(
            node_class=quote(str(node_class), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorMessage | GetObjectInfoNodeUiResponse200 | None:
    if response.status_code == 200:
        response_200 = GetObjectInfoNodeUiResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = ErrorMessage.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorMessage.from_dict(response.json())

        return response_403

    if response.status_code == 500:
        response_500 = ErrorMessage.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorMessage | GetObjectInfoNodeUiResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    node_class: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorMessage | GetObjectInfoNodeUiResponse200]:
    """One node class.

    Args:
        node_class (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | GetObjectInfoNodeUiResponse200]
    """

    kwargs = _get_kwargs(
        node_class=node_class,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    node_class: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorMessage | GetObjectInfoNodeUiResponse200 | None:
    """One node class.

    Args:
        node_class (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | GetObjectInfoNodeUiResponse200
    """

    return sync_detailed(
        node_class=node_class,
        client=client,
    ).parsed


async def asyncio_detailed(
    node_class: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorMessage | GetObjectInfoNodeUiResponse200]:
    """One node class.

    Args:
        node_class (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | GetObjectInfoNodeUiResponse200]
    """

    kwargs = _get_kwargs(
        node_class=node_class,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    node_class: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorMessage | GetObjectInfoNodeUiResponse200 | None:
    """One node class.

    Args:
        node_class (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | GetObjectInfoNodeUiResponse200
    """

    return (
        await asyncio_detailed(
            node_class=node_class,
            client=client,
        )
    ).parsed
