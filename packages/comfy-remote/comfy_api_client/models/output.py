from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.file_output import FileOutput


T = TypeVar("T", bound="Output")


@_attrs_define
class Output:
    """One node's UI output (`images`, `latents`, `text`, ...).

    Attributes:
        images (list[FileOutput] | Unset):
        latents (list[FileOutput] | Unset):
    """

    images: list[FileOutput] | Unset = UNSET
    latents: list[FileOutput] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        images: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.images, Unset):
            images = []
            for images_item_data in self.images:
                images_item = images_item_data.to_dict()
                images.append(images_item)

        latents: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.latents, Unset):
            latents = []
            for latents_item_data in self.latents:
                latents_item = latents_item_data.to_dict()
                latents.append(latents_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if images is not UNSET:
            field_dict["images"] = images
        if latents is not UNSET:
            field_dict["latents"] = latents

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.file_output import FileOutput

        d = dict(src_dict)
        _images = d.pop("images", UNSET)
        images: list[FileOutput] | Unset = UNSET
        if _images is not UNSET:
            images = []
            for images_item_data in _images:
                images_item = FileOutput.from_dict(images_item_data)

                images.append(images_item)

        _latents = d.pop("latents", UNSET)
        latents: list[FileOutput] | Unset = UNSET
        if _latents is not UNSET:
            latents = []
            for latents_item_data in _latents:
                latents_item = FileOutput.from_dict(latents_item_data)

                latents.append(latents_item)

        output = cls(
            images=images,
            latents=latents,
        )

        output.additional_properties = d
        return output

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
