from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.job_workflow_extra_data import JobWorkflowExtraData
    from ..models.job_workflow_prompt import JobWorkflowPrompt


T = TypeVar("T", bound="JobWorkflow")


@_attrs_define
class JobWorkflow:
    """`{prompt, extra_data}` (finished jobs, `/api/jobs/{job_id}` only).

    Attributes:
        prompt (JobWorkflowPrompt | Unset):
        extra_data (JobWorkflowExtraData | Unset):
    """

    prompt: JobWorkflowPrompt | Unset = UNSET
    extra_data: JobWorkflowExtraData | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        prompt: dict[str, Any] | Unset = UNSET
        if not isinstance(self.prompt, Unset):
            prompt = self.prompt.to_dict()

        extra_data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.extra_data, Unset):
            extra_data = self.extra_data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if prompt is not UNSET:
            field_dict["prompt"] = prompt
        if extra_data is not UNSET:
            field_dict["extra_data"] = extra_data

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.job_workflow_extra_data import JobWorkflowExtraData
        from ..models.job_workflow_prompt import JobWorkflowPrompt

        d = dict(src_dict)
        _prompt = d.pop("prompt", UNSET)
        prompt: JobWorkflowPrompt | Unset
        if isinstance(_prompt, Unset):
            prompt = UNSET
        else:
            prompt = JobWorkflowPrompt.from_dict(_prompt)

        _extra_data = d.pop("extra_data", UNSET)
        extra_data: JobWorkflowExtraData | Unset
        if isinstance(_extra_data, Unset):
            extra_data = UNSET
        else:
            extra_data = JobWorkflowExtraData.from_dict(_extra_data)

        job_workflow = cls(
            prompt=prompt,
            extra_data=extra_data,
        )

        job_workflow.additional_properties = d
        return job_workflow

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
