from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_message import ErrorMessage
from ...models.view_metadata_response_200 import ViewMetadataResponse200
from ...types import UNSET, Response


def _get_kwargs(
    folder: str,
    *,
    filename: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["filename"] = filename

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/view_metadata/{folder}".format(
            folder=quote(str(folder), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorMessage | ViewMetadataResponse200 | str | None:
    if response.status_code == 200:
        response_200 = ViewMetadataResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = response.text
        return response_400

    if response.status_code == 401:
        response_401 = ErrorMessage.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = response.text
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
) -> Response[ErrorMessage | ViewMetadataResponse200 | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    folder: str,
    *,
    client: AuthenticatedClient | Client,
    filename: str,
) -> Response[ErrorMessage | ViewMetadataResponse200 | str]:
    """The `__metadata__` of a safetensors file in a model folder.

     Only the safetensors header is read (never the tensors); headers over 100 MB are refused.

    Args:
        folder (str):
        filename (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | ViewMetadataResponse200 | str]
    """

    kwargs = _get_kwargs(
        folder=folder,
        filename=filename,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    folder: str,
    *,
    client: AuthenticatedClient | Client,
    filename: str,
) -> ErrorMessage | ViewMetadataResponse200 | str | None:
    """The `__metadata__` of a safetensors file in a model folder.

     Only the safetensors header is read (never the tensors); headers over 100 MB are refused.

    Args:
        folder (str):
        filename (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | ViewMetadataResponse200 | str
    """

    return sync_detailed(
        folder=folder,
        client=client,
        filename=filename,
    ).parsed


async def asyncio_detailed(
    folder: str,
    *,
    client: AuthenticatedClient | Client,
    filename: str,
) -> Response[ErrorMessage | ViewMetadataResponse200 | str]:
    """The `__metadata__` of a safetensors file in a model folder.

     Only the safetensors header is read (never the tensors); headers over 100 MB are refused.

    Args:
        folder (str):
        filename (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | ViewMetadataResponse200 | str]
    """

    kwargs = _get_kwargs(
        folder=folder,
        filename=filename,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    folder: str,
    *,
    client: AuthenticatedClient | Client,
    filename: str,
) -> ErrorMessage | ViewMetadataResponse200 | str | None:
    """The `__metadata__` of a safetensors file in a model folder.

     Only the safetensors header is read (never the tensors); headers over 100 MB are refused.

    Args:
        folder (str):
        filename (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | ViewMetadataResponse200 | str
    """

    return (
        await asyncio_detailed(
            folder=folder,
            client=client,
            filename=filename,
        )
    ).parsed
