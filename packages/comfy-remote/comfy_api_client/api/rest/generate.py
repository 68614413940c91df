from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_message import ErrorMessage
from ...models.execution_status_as_dict import ExecutionStatusAsDict
from ...models.generate_files_body import GenerateFilesBody
from ...models.generate_prefer import GeneratePrefer
from ...models.generate_prefer_query import GeneratePreferQuery
from ...models.generate_response_202 import GenerateResponse202
from ...models.prompt import Prompt
from ...models.v1_queue_prompt_response import V1QueuePromptResponse
from ...models.validation_error_dict import ValidationErrorDict
from ...models.wrapped_prompt import WrappedPrompt
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: Prompt | WrappedPrompt | GenerateFilesBody | Unset = UNSET,
    prefer_query: GeneratePreferQuery | Unset = UNSET,
    prefer_header: GeneratePrefer | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(prefer_header, Unset):
        headers["Prefer"] = str(prefer_header)

    params: dict[str, Any] = {}

    json_prefer_query: str | Unset = UNSET
    if not isinstance(prefer_query, Unset):
        json_prefer_query = prefer_query.value

    params["prefer"] = json_prefer_query

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/prompts",
        "params": params,
    }

    if isinstance(body, Prompt | WrappedPrompt):
        if isinstance(body, Prompt):
            _kwargs["json"] = body.to_dict()
        else:
            _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, GenerateFilesBody):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    Any
    | ErrorMessage
    | ExecutionStatusAsDict
    | ValidationErrorDict
    | GenerateResponse202
    | V1QueuePromptResponse
    | None
):
    if response.status_code == 200:
        response_200 = V1QueuePromptResponse.from_dict(response.json())

        return response_200

    if response.status_code == 202:
        response_202 = GenerateResponse202.from_dict(response.json())

        return response_202

    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 400:
        response_400 = ValidationErrorDict.from_dict(response.json())

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
        response_429 = ValidationErrorDict.from_dict(response.json())

        return response_429

    if response.status_code == 500:

        def _parse_response_500(
            data: object,
        ) -> ExecutionStatusAsDict | ValidationErrorDict:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_500_type_0 = ExecutionStatusAsDict.from_dict(data)

                return response_500_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_500_type_1 = ValidationErrorDict.from_dict(data)

            return response_500_type_1

        response_500 = _parse_response_500(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ValidationErrorDict.from_dict(response.json())

        return response_503

    if response.status_code == 507:

        def _parse_response_507(
            data: object,
        ) -> ExecutionStatusAsDict | ValidationErrorDict:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_507_type_0 = ExecutionStatusAsDict.from_dict(data)

                return response_507_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_507_type_1 = ValidationErrorDict.from_dict(data)

            return response_507_type_1

        response_507 = _parse_response_507(response.json())

        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[
    Any
    | ErrorMessage
    | ExecutionStatusAsDict
    | ValidationErrorDict
    | GenerateResponse202
    | V1QueuePromptResponse
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
    body: Prompt | WrappedPrompt | GenerateFilesBody | Unset = UNSET,
    prefer_query: GeneratePreferQuery | Unset = UNSET,
    prefer_header: GeneratePrefer | Unset = UNSET,
) -> Response[
    Any
    | ErrorMessage
    | ExecutionStatusAsDict
    | ValidationErrorDict
    | GenerateResponse202
    | V1QueuePromptResponse
]:
    """Run a prompt; answer with its first image or its outputs.

     The body is the prompt, either bare (node id -> node, as the OpenAPI `Prompt`) or wrapped as
    `{"prompt": {...}}` (the form the documentation's curl, Python and browser examples send; a
    body whose `prompt` value has a `class_type` is a bare prompt with a node named "prompt").
    It may also be `multipart/form-data`: a `prompt` part (text, or a part of type
    `application/json`) and files, written to the input folder under their names (replacing
    files of the same name).

    `Accept` picks the answer: `image/png` (or `image/*`) gives the first image's file; JSON
    (also `*/*`, `application/*` and no `Accept`) gives `{urls, outputs, prompt_id}`. Accept lists
    with q-values are honoured; a `+suffix` is ignored; anything else is 400.

    The run is asynchronous when `respond-async` appears in the `Prefer` header, the `prefer`
    query parameter, the `Content-Type` or the `Accept` header (for example
    `Accept: application/json+respond-async`): the answer is then 202 at once, and
    `GET /api/v1/prompts/{prompt_id}` gives the result. Otherwise the request waits for the run.

    Args:
        prefer_query (GeneratePreferQuery | Unset):
        prefer_header (GeneratePrefer | Unset):
        body (Prompt | WrappedPrompt):
        body (GenerateFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorMessage | ExecutionStatusAsDict | ValidationErrorDict | GenerateResponse202 | V1QueuePromptResponse | ValidationErrorDict]
    """

    kwargs = _get_kwargs(
        body=body,
        prefer_query=prefer_query,
        prefer_header=prefer_header,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: Prompt | WrappedPrompt | GenerateFilesBody | Unset = UNSET,
    prefer_query: GeneratePreferQuery | Unset = UNSET,
    prefer_header: GeneratePrefer | Unset = UNSET,
) -> (
    Any
    | ErrorMessage
    | ExecutionStatusAsDict
    | ValidationErrorDict
    | GenerateResponse202
    | V1QueuePromptResponse
    | None
):
    """Run a prompt; answer with its first image or its outputs.

     The body is the prompt, either bare (node id -> node, as the OpenAPI `Prompt`) or wrapped as
    `{"prompt": {...}}` (the form the documentation's curl, Python and browser examples send; a
    body whose `prompt` value has a `class_type` is a bare prompt with a node named "prompt").
    It may also be `multipart/form-data`: a `prompt` part (text, or a part of type
    `application/json`) and files, written to the input folder under their names (replacing
    files of the same name).

    `Accept` picks the answer: `image/png` (or `image/*`) gives the first image's file; JSON
    (also `*/*`, `application/*` and no `Accept`) gives `{urls, outputs, prompt_id}`. Accept lists
    with q-values are honoured; a `+suffix` is ignored; anything else is 400.

    The run is asynchronous when `respond-async` appears in the `Prefer` header, the `prefer`
    query parameter, the `Content-Type` or the `Accept` header (for example
    `Accept: application/json+respond-async`): the answer is then 202 at once, and
    `GET /api/v1/prompts/{prompt_id}` gives the result. Otherwise the request waits for the run.

    Args:
        prefer_query (GeneratePreferQuery | Unset):
        prefer_header (GeneratePrefer | Unset):
        body (Prompt | WrappedPrompt):
        body (GenerateFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorMessage | ExecutionStatusAsDict | ValidationErrorDict | GenerateResponse202 | V1QueuePromptResponse | ValidationErrorDict
    """

    return sync_detailed(
        client=client,
        body=body,
        prefer_query=prefer_query,
        prefer_header=prefer_header,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: Prompt | WrappedPrompt | GenerateFilesBody | Unset = UNSET,
    prefer_query: GeneratePreferQuery | Unset = UNSET,
    prefer_header: GeneratePrefer | Unset = UNSET,
) -> Response[
    Any
    | ErrorMessage
    | ExecutionStatusAsDict
    | ValidationErrorDict
    | GenerateResponse202
    | V1QueuePromptResponse
]:
    """Run a prompt; answer with its first image or its outputs.

     The body is the prompt, either bare (node id -> node, as the OpenAPI `Prompt`) or wrapped as
    `{"prompt": {...}}` (the form the documentation's curl, Python and browser examples send; a
    body whose `prompt` value has a `class_type` is a bare prompt with a node named "prompt").
    It may also be `multipart/form-data`: a `prompt` part (text, or a part of type
    `application/json`) and files, written to the input folder under their names (replacing
    files of the same name).

    `Accept` picks the answer: `image/png` (or `image/*`) gives the first image's file; JSON
    (also `*/*`, `application/*` and no `Accept`) gives `{urls, outputs, prompt_id}`. Accept lists
    with q-values are honoured; a `+suffix` is ignored; anything else is 400.

    The run is asynchronous when `respond-async` appears in the `Prefer` header, the `prefer`
    query parameter, the `Content-Type` or the `Accept` header (for example
    `Accept: application/json+respond-async`): the answer is then 202 at once, and
    `GET /api/v1/prompts/{prompt_id}` gives the result. Otherwise the request waits for the run.

    Args:
        prefer_query (GeneratePreferQuery | Unset):
        prefer_header (GeneratePrefer | Unset):
        body (Prompt | WrappedPrompt):
        body (GenerateFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorMessage | ExecutionStatusAsDict | ValidationErrorDict | GenerateResponse202 | V1QueuePromptResponse | ValidationErrorDict]
    """

    kwargs = _get_kwargs(
        body=body,
        prefer_query=prefer_query,
        prefer_header=prefer_header,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: Prompt | WrappedPrompt | GenerateFilesBody | Unset = UNSET,
    prefer_query: GeneratePreferQuery | Unset = UNSET,
    prefer_header: GeneratePrefer | Unset = UNSET,
) -> (
    Any
    | ErrorMessage
    | ExecutionStatusAsDict
    | ValidationErrorDict
    | GenerateResponse202
    | V1QueuePromptResponse
    | None
):
    """Run a prompt; answer with its first image or its outputs.

     The body is the prompt, either bare (node id -> node, as the OpenAPI `Prompt`) or wrapped as
    `{"prompt": {...}}` (the form the documentation's curl, Python and browser examples send; a
    body whose `prompt` value has a `class_type` is a bare prompt with a node named "prompt").
    It may also be `multipart/form-data`: a `prompt` part (text, or a part of type
    `application/json`) and files, written to the input folder under their names (replacing
    files of the same name).

    `Accept` picks the answer: `image/png` (or `image/*`) gives the first image's file; JSON
    (also `*/*`, `application/*` and no `Accept`) gives `{urls, outputs, prompt_id}`. Accept lists
    with q-values are honoured; a `+suffix` is ignored; anything else is 400.

    The run is asynchronous when `respond-async` appears in the `Prefer` header, the `prefer`
    query parameter, the `Content-Type` or the `Accept` header (for example
    `Accept: application/json+respond-async`): the answer is then 202 at once, and
    `GET /api/v1/prompts/{prompt_id}` gives the result. Otherwise the request waits for the run.

    Args:
        prefer_query (GeneratePreferQuery | Unset):
        prefer_header (GeneratePrefer | Unset):
        body (Prompt | WrappedPrompt):
        body (GenerateFilesBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorMessage | ExecutionStatusAsDict | ValidationErrorDict | GenerateResponse202 | V1QueuePromptResponse | ValidationErrorDict
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            prefer_query=prefer_query,
            prefer_header=prefer_header,
        )
    ).parsed
