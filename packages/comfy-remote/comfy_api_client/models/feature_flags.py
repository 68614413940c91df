from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.feature_flags_extension import FeatureFlagsExtension


T = TypeVar("T", bound="FeatureFlags")


@_attrs_define
class FeatureFlags:
    """
    Attributes:
        supports_preview_metadata (bool):
        max_upload_size (int): The largest accepted request body, in bytes.
        extension (FeatureFlagsExtension | Unset):
    """

    supports_preview_metadata: bool
    max_upload_size: int
    extension: FeatureFlagsExtension | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        supports_preview_metadata = self.supports_preview_metadata

        max_upload_size = self.max_upload_size

        extension: dict[str, Any] | Unset = UNSET
        if not isinstance(self.extension, Unset):
            extension = self.extension.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "supports_preview_metadata": supports_preview_metadata,
                "max_upload_size": max_upload_size,
            }
        )
        if extension is not UNSET:
            field_dict["extension"] = extension

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.feature_flags_extension import FeatureFlagsExtension

        d = dict(src_dict)
        supports_preview_metadata = d.pop("supports_preview_metadata")

        max_upload_size = d.pop("max_upload_size")

        _extension = d.pop("extension", UNSET)
        extension: FeatureFlagsExtension | Unset
        if isinstance(_extension, Unset):
            extension = UNSET
        else:
            extension = FeatureFlagsExtension.from_dict(_extension)

        feature_flags = cls(
            supports_preview_metadata=supports_preview_metadata,
            max_upload_size=max_upload_size,
            extension=extension,
        )

        feature_flags.additional_properties = d
        return feature_flags

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
