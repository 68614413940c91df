from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_message import ErrorMessage
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    client_id: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["clientId"] = client_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/ws",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | ErrorMessage | str | None:
    if response.status_code == 101:
        response_101 = cast(Any, None)
        return response_101

    if response.status_code == 401:
        response_401 = ErrorMessage.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorMessage.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = response.text
        return response_404

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | ErrorMessage | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    client_id: str | Unset = UNSET,
) -> Response[Any | ErrorMessage | str]:
    """The websocket of progress events (a WebSocket upgrade, not a plain GET).

     Connect with a WebSocket client. The socket id is `clientId` when given (an older socket with
    the same id is closed), else a random hex id. The first frame is
    `{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": N}}, "sid": "<sid>"}}`.
    A first client message `{"type": "feature_flags", "data": {...}}` is answered with the server's
    flags (`/features`). Events of a prompt queued with `client_id` equal to the sid go to that
    socket only: `execution_start`, `execution_cached`, `executing`, `progress`, `progress_state`,
    `executed`, `execution_success` / `execution_error`, then `executing` with `node: null`.
    `status` and `execution_interrupted` go to every socket. Binary frames are
    `uint32 BE type || payload`: type 4 (previews with metadata, `uint32 len(json) || json || image`)
    for clients that sent `supports_preview_metadata: true`, else type 1
    (`uint32 format (1 JPEG, 2 PNG) || image`); type 3 is node text. A plain HTTP GET is not a
    websocket and gets 404.

    Args:
        client_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorMessage | str]
    """

    kwargs = _get_kwargs(
        client_id=client_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    client_id: str | Unset = UNSET,
) -> Any | ErrorMessage | str | None:
    """The websocket of progress events (a WebSocket upgrade, not a plain GET).

     Connect with a WebSocket client. The socket id is `clientId` when given (an older socket with
    the same id is closed), else a random hex id. The first frame is
    `{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": N}}, "sid": "<sid>"}}`.
    A first client message `{"type": "feature_flags", "data": {...}}` is answered with the server's
    flags (`/features`). Events of a prompt queued with `client_id` equal to the sid go to that
    socket only: `execution_start`, `execution_cached`, `executing`, `progress`, `progress_state`,
    `executed`, `execution_success` / `execution_error`, then `executing` with `node: null`.
    `status` and `execution_interrupted` go to every socket. Binary frames are
    `uint32 BE type || payload`: type 4 (previews with metadata, `uint32 len(json) || json || image`)
    for clients that sent `supports_preview_metadata: true`, else type 1
    (`uint32 format (1 JPEG, 2 PNG) || image`); type 3 is node text. A plain HTTP GET is not a
    websocket and gets 404.

    Args:
        client_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorMessage | str
    """

    return sync_detailed(
        client=client,
        client_id=client_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    client_id: str | Unset = UNSET,
) -> Response[Any | ErrorMessage | str]:
    """The websocket of progress events (a WebSocket upgrade, not a plain GET).

     Connect with a WebSocket client. The socket id is `clientId` when given (an older socket with
    the same id is closed), else a random hex id. The first frame is
    `{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": N}}, "sid": "<sid>"}}`.
    A first client message `{"type": "feature_flags", "data": {...}}` is answered with the server's
    flags (`/features`). Events of a prompt queued with `client_id` equal to the sid go to that
    socket only: `execution_start`, `execution_cached`, `executing`, `progress`, `progress_state`,
    `executed`, `execution_success` / `execution_error`, then `executing` with `node: null`.
    `status` and `execution_interrupted` go to every socket. Binary frames are
    `uint32 BE type || payload`: type 4 (previews with metadata, `uint32 len(json) || json || image`)
    for clients that sent `supports_preview_metadata: true`, else type 1
    (`uint32 format (1 JPEG, 2 PNG) || image`); type 3 is node text. A plain HTTP GET is not a
    websocket and gets 404.

    Args:
        client_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorMessage | str]
    """

    kwargs = _get_kwargs(
        client_id=client_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    client_id: str | Unset = UNSET,
) -> Any | ErrorMessage | str | None:
    """The websocket of progress events (a WebSocket upgrade, not a plain GET).

     Connect with a WebSocket client. The socket id is `clientId` when given (an older socket with
    the same id is closed), else a random hex id. The first frame is
    `{"type": "status", "data": {"status": {"exec_info": {"queue_remaining": N}}, "sid": "<sid>"}}`.
    A first client message `{"type": "feature_flags", "data": {...}}` is answered with the server's
    flags (`/features`). Events of a prompt queued with `client_id` equal to the sid go to that
    socket only: `execution_start`, `execution_cached`, `executing`, `progress`, `progress_state`,
    `executed`, `execution_success` / `execution_error`, then `executing` with `node: null`.
    `status` and `execution_interrupted` go to every socket. Binary frames are
    `uint32 BE type || payload`: type 4 (previews with metadata, `uint32 len(json) || json || image`)
    for clients that sent `supports_preview_metadata: true`, else type 1
    (`uint32 format (1 JPEG, 2 PNG) || image`); type 3 is node text. A plain HTTP GET is not a
    websocket and gets 404.

    Args:
        client_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorMessage | str
    """

    return (
        await asyncio_detailed(
            client=client,
            client_id=client_id,
        )
    ).parsed
