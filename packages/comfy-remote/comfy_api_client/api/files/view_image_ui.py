from http import HTTPStatus
from io import BytesIO
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_message import ErrorMessage
from ...models.view_image_ui_channel import ViewImageUiChannel
from ...models.view_image_ui_type import ViewImageUiType
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    *,
    filename: str,
    type_: ViewImageUiType | Unset = ViewImageUiType.OUTPUT,
    subfolder: str | Unset = "",
    preview: str | Unset = UNSET,
    channel: ViewImageUiChannel | Unset = ViewImageUiChannel.RGBA,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["filename"] = filename

    json_type_: str | Unset = UNSET
    if not isinstance(type_, Unset):
        json_type_ = type_.value

    params["type"] = json_type_

    params["subfolder"] = subfolder

    params["preview"] = preview

    json_channel: str | Unset = UNSET
    if not isinstance(channel, Unset):
        json_channel = channel.value

    params["channel"] = json_channel

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/view",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorMessage | File | str | None:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

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

    if response.status_code == 501:
        response_501 = response.text
        return response_501

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorMessage | File | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    filename: str,
    type_: ViewImageUiType | Unset = ViewImageUiType.OUTPUT,
    subfolder: str | Unset = "",
    preview: str | Unset = UNSET,
    channel: ViewImageUiChannel | Unset = ViewImageUiChannel.RGBA,
) -> Response[ErrorMessage | File | str]:
    """A file of the output, input or temp folder.

     `filename` may carry ComfyUI's folder annotation (`"x.png [input]"`), which then picks the
    folder. With `preview=<format>;<quality>` the image is re-encoded (`webp`, also used for any
    other format or when the `channel` asks for alpha, or `jpeg`). `channel=rgb` gives the colour
    channels and `channel=a` the alpha channel (as black RGBA; opaque when the file has none), both
    as PNG. Other files are served as they are, with their type from the name; HTML, JavaScript,
    CSS, XML and SVG are served as `application/octet-stream` (with `X-Content-Type-Options:
    nosniff`) so they can never run in this origin.

    Args:
        filename (str):
        type_ (ViewImageUiType | Unset):  Default: ViewImageUiType.OUTPUT.
        subfolder (str | Unset):  Default: ''.
        preview (str | Unset):
        channel (ViewImageUiChannel | Unset):  Default: ViewImageUiChannel.RGBA.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | File | str]
    """

    kwargs = _get_kwargs(
        filename=filename,
        type_=type_,
        subfolder=subfolder,
        preview=preview,
        channel=channel,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    filename: str,
    type_: ViewImageUiType | Unset = ViewImageUiType.OUTPUT,
    subfolder: str | Unset = "",
    preview: str | Unset = UNSET,
    channel: ViewImageUiChannel | Unset = ViewImageUiChannel.RGBA,
) -> ErrorMessage | File | str | None:
    """A file of the output, input or temp folder.

     `filename` may carry ComfyUI's folder annotation (`"x.png [input]"`), which then picks the
    folder. With `preview=<format>;<quality>` the image is re-encoded (`webp`, also used for any
    other format or when the `channel` asks for alpha, or `jpeg`). `channel=rgb` gives the colour
    channels and `channel=a` the alpha channel (as black RGBA; opaque when the file has none), both
    as PNG. Other files are served as they are, with their type from the name; HTML, JavaScript,
    CSS, XML and SVG are served as `application/octet-stream` (with `X-Content-Type-Options:
    nosniff`) so they can never run in this origin.

    Args:
        filename (str):
        type_ (ViewImageUiType | Unset):  Default: ViewImageUiType.OUTPUT.
        subfolder (str | Unset):  Default: ''.
        preview (str | Unset):
        channel (ViewImageUiChannel | Unset):  Default: ViewImageUiChannel.RGBA.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | File | str
    """

    return sync_detailed(
        client=client,
        filename=filename,
        type_=type_,
        subfolder=subfolder,
        preview=preview,
        channel=channel,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    filename: str,
    type_: ViewImageUiType | Unset = ViewImageUiType.OUTPUT,
    subfolder: str | Unset = "",
    preview: str | Unset = UNSET,
    channel: ViewImageUiChannel | Unset = ViewImageUiChannel.RGBA,
) -> Response[ErrorMessage | File | str]:
    """A file of the output, input or temp folder.

     `filename` may carry ComfyUI's folder annotation (`"x.png [input]"`), which then picks the
    folder. With `preview=<format>;<quality>` the image is re-encoded (`webp`, also used for any
    other format or when the `channel` asks for alpha, or `jpeg`). `channel=rgb` gives the colour
    channels and `channel=a` the alpha channel (as black RGBA; opaque when the file has none), both
    as PNG. Other files are served as they are, with their type from the name; HTML, JavaScript,
    CSS, XML and SVG are served as `application/octet-stream` (with `X-Content-Type-Options:
    nosniff`) so they can never run in this origin.

    Args:
        filename (str):
        type_ (ViewImageUiType | Unset):  Default: ViewImageUiType.OUTPUT.
        subfolder (str | Unset):  Default: ''.
        preview (str | Unset):
        channel (ViewImageUiChannel | Unset):  Default: ViewImageUiChannel.RGBA.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | File | str]
    """

    kwargs = _get_kwargs(
        filename=filename,
        type_=type_,
        subfolder=subfolder,
        preview=preview,
        channel=channel,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    filename: str,
    type_: ViewImageUiType | Unset = ViewImageUiType.OUTPUT,
    subfolder: str | Unset = "",
    preview: str | Unset = UNSET,
    channel: ViewImageUiChannel | Unset = ViewImageUiChannel.RGBA,
) -> ErrorMessage | File | str | None:
    """A file of the output, input or temp folder.

     `filename` may carry ComfyUI's folder annotation (`"x.png [input]"`), which then picks the
    folder. With `preview=<format>;<quality>` the image is re-encoded (`webp`, also used for any
    other format or when the `channel` asks for alpha, or `jpeg`). `channel=rgb` gives the colour
    channels and `channel=a` the alpha channel (as black RGBA; opaque when the file has none), both
    as PNG. Other files are served as they are, with their type from the name; HTML, JavaScript,
    CSS, XML and SVG are served as `application/octet-stream` (with `X-Content-Type-Options:
    nosniff`) so they can never run in this origin.

    Args:
        filename (str):
        type_ (ViewImageUiType | Unset):  Default: ViewImageUiType.OUTPUT.
        subfolder (str | Unset):  Default: ''.
        preview (str | Unset):
        channel (ViewImageUiChannel | Unset):  Default: ViewImageUiChannel.RGBA.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | File | str
    """

    return (
        await asyncio_detailed(
            client=client,
            filename=filename,
            type_=type_,
            subfolder=subfolder,
            preview=preview,
            channel=channel,
        )
    ).parsed
