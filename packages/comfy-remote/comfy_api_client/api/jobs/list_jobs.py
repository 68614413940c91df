from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_message import ErrorMessage
from ...models.job_error import JobError
from ...models.list_jobs_response_200 import ListJobsResponse200
from ...models.list_jobs_sort_by import ListJobsSortBy
from ...models.list_jobs_sort_order import ListJobsSortOrder
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: str | Unset = UNSET,
    workflow_id: str | Unset = UNSET,
    sort_by: ListJobsSortBy | Unset = ListJobsSortBy.CREATED_AT,
    sort_order: ListJobsSortOrder | Unset = ListJobsSortOrder.DESC,
    limit: int | Unset = UNSET,
    offset: int | Unset = 0,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["status"] = status

    params["workflow_id"] = workflow_id

    json_sort_by: str | Unset = UNSET
    if not isinstance(sort_by, Unset):
        json_sort_by = sort_by.value

    params["sort_by"] = json_sort_by

    json_sort_order: str | Unset = UNSET
    if not isinstance(sort_order, Unset):
        json_sort_order = sort_order.value

    params["sort_order"] = json_sort_order

    params["limit"] = limit

    params["offset"] = offset

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/jobs",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorMessage | JobError | ListJobsResponse200 | None:
    if response.status_code == 200:
        response_200 = ListJobsResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = JobError.from_dict(response.json())

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
) -> Response[ErrorMessage | JobError | ListJobsResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: str | Unset = UNSET,
    workflow_id: str | Unset = UNSET,
    sort_by: ListJobsSortBy | Unset = ListJobsSortBy.CREATED_AT,
    sort_order: ListJobsSortOrder | Unset = ListJobsSortOrder.DESC,
    limit: int | Unset = UNSET,
    offset: int | Unset = 0,
) -> Response[ErrorMessage | JobError | ListJobsResponse200]:
    """Pending, running and finished prompts as jobs, filtered, sorted and paged.

    Args:
        status (str | Unset):
        workflow_id (str | Unset):
        sort_by (ListJobsSortBy | Unset):  Default: ListJobsSortBy.CREATED_AT.
        sort_order (ListJobsSortOrder | Unset):  Default: ListJobsSortOrder.DESC.
        limit (int | Unset):
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | JobError | ListJobsResponse200]
    """

    kwargs = _get_kwargs(
        status=status,
        workflow_id=workflow_id,
        sort_by=sort_by,
        sort_order=sort_order,
        limit=limit,
        offset=offset,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    status: str | Unset = UNSET,
    workflow_id: str | Unset = UNSET,
    sort_by: ListJobsSortBy | Unset = ListJobsSortBy.CREATED_AT,
    sort_order: ListJobsSortOrder | Unset = ListJobsSortOrder.DESC,
    limit: int | Unset = UNSET,
    offset: int | Unset = 0,
) -> ErrorMessage | JobError | ListJobsResponse200 | None:
    """Pending, running and finished prompts as jobs, filtered, sorted and paged.

    Args:
        status (str | Unset):
        workflow_id (str | Unset):
        sort_by (ListJobsSortBy | Unset):  Default: ListJobsSortBy.CREATED_AT.
        sort_order (ListJobsSortOrder | Unset):  Default: ListJobsSortOrder.DESC.
        limit (int | Unset):
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | JobError | ListJobsResponse200
    """

    return sync_detailed(
        client=client,
        status=status,
        workflow_id=workflow_id,
        sort_by=sort_by,
        sort_order=sort_order,
        limit=limit,
        offset=offset,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: str | Unset = UNSET,
    workflow_id: str | Unset = UNSET,
    sort_by: ListJobsSortBy | Unset = ListJobsSortBy.CREATED_AT,
    sort_order: ListJobsSortOrder | Unset = ListJobsSortOrder.DESC,
    limit: int | Unset = UNSET,
    offset: int | Unset = 0,
) -> Response[ErrorMessage | JobError | ListJobsResponse200]:
    """Pending, running and finished prompts as jobs, filtered, sorted and paged.

    Args:
        status (str | Unset):
        workflow_id (str | Unset):
        sort_by (ListJobsSortBy | Unset):  Default: ListJobsSortBy.CREATED_AT.
        sort_order (ListJobsSortOrder | Unset):  Default: ListJobsSortOrder.DESC.
        limit (int | Unset):
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorMessage | JobError | ListJobsResponse200]
    """

    kwargs = _get_kwargs(
        status=status,
        workflow_id=workflow_id,
        sort_by=sort_by,
        sort_order=sort_order,
        limit=limit,
        offset=offset,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    status: str | Unset = UNSET,
    workflow_id: str | Unset = UNSET,
    sort_by: ListJobsSortBy | Unset = ListJobsSortBy.CREATED_AT,
    sort_order: ListJobsSortOrder | Unset = ListJobsSortOrder.DESC,
    limit: int | Unset = UNSET,
    offset: int | Unset = 0,
) -> ErrorMessage | JobError | ListJobsResponse200 | None:
    """Pending, running and finished prompts as jobs, filtered, sorted and paged.

    Args:
        status (str | Unset):
        workflow_id (str | Unset):
        sort_by (ListJobsSortBy | Unset):  Default: ListJobsSortBy.CREATED_AT.
        sort_order (ListJobsSortOrder | Unset):  Default: ListJobsSortOrder.DESC.
        limit (int | Unset):
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorMessage | JobError | ListJobsResponse200
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
            workflow_id=workflow_id,
            sort_by=sort_by,
            sort_order=sort_order,
            limit=limit,
            offset=offset,
        )
    ).parsed
