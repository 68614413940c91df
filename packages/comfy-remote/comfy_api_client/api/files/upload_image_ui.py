from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_message import ErrorMessage
from ...models.upload_form import UploadForm
from ...models.upload_response import UploadResponse
from ...models.validation_error_dict import ValidationErrorDict
from ...types import Response


def _get_kwargs(
    *,
    body: UploadForm,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/upload/image",
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorMessage | UploadResponse | ValidationErrorDict | str | None:
    if response.status_code == 200:
        response_200 = UploadResponse.from_dict(response.json())

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

    if response.status_code == 413:
        response_413 = ValidationErrorDict.from_dict(response.json())

        return response_413

    if response.status_code == 507:
        response_507 = response.text
        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorMessage | UploadResponse | ValidationErrorDict | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: UploadForm,
) -> Response[ErrorMessage | UploadResponse | ValidationErrorDict | str]:
    """Store an image in the input (default), temp or output folder.

     A taken name gets ` (1)`, ` (2)`, ... before its extension, unless `overwrite` is `true` or `1`,
    or the file there already holds the same bytes (then that name is reused and nothing is
    written).

    Args:
        body (UploadForm):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | UploadResponse | ValidationErrorDict | str]
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
    body: UploadForm,
) -> ErrorMessage | UploadResponse | ValidationErrorDict | str | None:
    """Store an image in the input (default), temp or output folder.

     A taken name gets ` (1)`, ` (2)`, ... before its extension, unless `overwrite` is `true` or `1`,
    or the file there already holds the same bytes (then that name is reused and nothing is
    written).

    Args:
        body (UploadForm):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | UploadResponse | ValidationErrorDict | str
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: UploadForm,
) -> Response[ErrorMessage | UploadResponse | ValidationErrorDict | str]:
    """Store an image in the input (default), temp or output folder.

     A taken name gets ` (1)`, ` (2)`, ... before its extension, unless `overwrite` is `true` or `1`,
    or the file there already holds the same bytes (then that name is reused and nothing is
    written).

    Args:
        body (UploadForm):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | UploadResponse | ValidationErrorDict | str]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: UploadForm,
) -> ErrorMessage | UploadResponse | ValidationErrorDict | str | None:
    """Store an image in the input (default), temp or output folder.

     A taken name gets ` (1)`, ` (2)`, ... before its extension, unless `overwrite` is `true` or `1`,
    or the file there already holds the same bytes (then that name is reused and nothing is
    written).

    Args:
        body (UploadForm):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | UploadResponse | ValidationErrorDict | str
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
