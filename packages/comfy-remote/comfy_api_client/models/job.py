from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_status import JobStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.job_execution_error import JobExecutionError
    from ..models.job_execution_status import JobExecutionStatus
    from ..models.job_outputs import JobOutputs
    from ..models.job_preview_output import JobPreviewOutput
    from ..models.job_workflow import JobWorkflow


T = TypeVar("T", bound="Job")


@_attrs_define
class Job:
    """
    Attributes:
        id (str):
        status (JobStatus):
        priority (float | None):
        create_time (int | None): ms since the epoch
        outputs_count (int):
        execution_start_time (int | Unset):
        execution_end_time (int | Unset):
        execution_error (JobExecutionError | Unset):
        preview_output (JobPreviewOutput | Unset): The first image/video/audio output, with `nodeId` and `mediaType`.
        workflow_id (str | Unset):
        outputs (JobOutputs | Unset): node id -> UI output (finished jobs, `/api/jobs/{job_id}` only).
        execution_status (JobExecutionStatus | Unset): The history entry's `status` (finished jobs, `/api/jobs/{job_id}`
            only).
        workflow (JobWorkflow | Unset): `{prompt, extra_data}` (finished jobs, `/api/jobs/{job_id}` only).
    """

    id: str
    status: JobStatus
    priority: float | None
    create_time: int | None
    outputs_count: int
    execution_start_time: int | Unset = UNSET
    execution_end_time: int | Unset = UNSET
    execution_error: JobExecutionError | Unset = UNSET
    preview_output: JobPreviewOutput | Unset = UNSET
    workflow_id: str | Unset = UNSET
    outputs: JobOutputs | Unset = UNSET
    execution_status: JobExecutionStatus | Unset = UNSET
    workflow: JobWorkflow | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status = self.status.value

        priority: float | None
        priority = self.priority

        create_time: int | None
        create_time = self.create_time

        outputs_count = self.outputs_count

        execution_start_time = self.execution_start_time

        execution_end_time = self.execution_end_time

        execution_error: dict[str, Any] | Unset = UNSET
        if not isinstance(self.execution_error, Unset):
            execution_error = self.execution_error.to_dict()

        preview_output: dict[str, Any] | Unset = UNSET
        if not isinstance(self.preview_output, Unset):
            preview_output = self.preview_output.to_dict()

        workflow_id = self.workflow_id

        outputs: dict[str, Any] | Unset = UNSET
        if not isinstance(self.outputs, Unset):
            outputs = self.outputs.to_dict()

        execution_status: dict[str, Any] | Unset = UNSET
        if not isinstance(self.execution_status, Unset):
            execution_status = self.execution_status.to_dict()

        workflow: dict[str, Any] | Unset = UNSET
        if not isinstance(self.workflow, Unset):
            workflow = self.workflow.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
                "priority": priority,
                "create_time": create_time,
                "outputs_count": outputs_count,
            }
        )
        if execution_start_time is not UNSET:
            field_dict["execution_start_time"] = execution_start_time
        if execution_end_time is not UNSET:
            field_dict["execution_end_time"] = execution_end_time
        if execution_error is not UNSET:
            field_dict["execution_error"] = execution_error
        if preview_output is not UNSET:
            field_dict["preview_output"] = preview_output
        if workflow_id is not UNSET:
            field_dict["workflow_id"] = workflow_id
        if outputs is not UNSET:
            field_dict["outputs"] = outputs
        if execution_status is not UNSET:
            field_dict["execution_status"] = execution_status
        if workflow is not UNSET:
            field_dict["workflow"] = workflow

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.job_execution_error import JobExecutionError
        from ..models.job_execution_status import JobExecutionStatus
        from ..models.job_outputs import JobOutputs
        from ..models.job_preview_output import JobPreviewOutput
        from ..models.job_workflow import JobWorkflow

        d = dict(src_dict)
        id = d.pop("id")

        status = JobStatus(d.pop("status"))

        def _parse_priority(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        priority = _parse_priority(d.pop("priority"))

        def _parse_create_time(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        create_time = _parse_create_time(d.pop("create_time"))

        outputs_count = d.pop("outputs_count")

        execution_start_time = d.pop("execution_start_time", UNSET)

        execution_end_time = d.pop("execution_end_time", UNSET)

        _execution_error = d.pop("execution_error", UNSET)
        execution_error: JobExecutionError | Unset
        if isinstance(_execution_error, Unset):
            execution_error = UNSET
        else:
            execution_error = JobExecutionError.from_dict(_execution_error)

        _preview_output = d.pop("preview_output", UNSET)
        preview_output: JobPreviewOutput | Unset
        if isinstance(_preview_output, Unset):
            preview_output = UNSET
        else:
            preview_output = JobPreviewOutput.from_dict(_preview_output)

        workflow_id = d.pop("workflow_id", UNSET)

        _outputs = d.pop("outputs", UNSET)
        outputs: JobOutputs | Unset
        if isinstance(_outputs, Unset):
            outputs = UNSET
        else:
            outputs = JobOutputs.from_dict(_outputs)

        _execution_status = d.pop("execution_status", UNSET)
        execution_status: JobExecutionStatus | Unset
        if isinstance(_execution_status, Unset):
            execution_status = UNSET
        else:
            execution_status = JobExecutionStatus.from_dict(_execution_status)

        _workflow = d.pop("workflow", UNSET)
        workflow: JobWorkflow | Unset
        if isinstance(_workflow, Unset):
            workflow = UNSET
        else:
            workflow = JobWorkflow.from_dict(_workflow)

        job = cls(
            id=id,
            status=status,
            priority=priority,
            create_time=create_time,
            outputs_count=outputs_count,
            execution_start_time=execution_start_time,
            execution_end_time=execution_end_time,
            execution_error=execution_error,
            preview_output=preview_output,
            workflow_id=workflow_id,
            outputs=outputs,
            execution_status=execution_status,
            workflow=workflow,
        )

        job.additional_properties = d
        return job

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
