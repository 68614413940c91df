from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.upload_form_type import UploadFormType
from ..types import UNSET, File, Unset

T = TypeVar("T", bound="UploadMaskUiBody")


@_attrs_define
class UploadMaskUiBody:
    """
    Attributes:
        image (File):
        original_ref (str): JSON text `{"filename", "subfolder"?, "type"?}`.
        overwrite (str | Unset): `true` or `1` replaces a file of the same name.
        type_ (UploadFormType | Unset):  Default: UploadFormType.INPUT.
        subfolder (str | Unset):
    """

    image: File
    original_ref: str
    overwrite: str | Unset = UNSET
    type_: UploadFormType | Unset = UploadFormType.INPUT
    subfolder: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image = self.image.to_tuple()

        original_ref = self.original_ref

        overwrite = self.overwrite

        type_: str | Unset = UNSET
        if not isinstance(self.type_, Unset):
            type_ = self.type_.value

        subfolder = self.subfolder

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "image": image,
                "original_ref": original_ref,
            }
        )
        if overwrite is not UNSET:
            field_dict["overwrite"] = overwrite
        if type_ is not UNSET:
            field_dict["type"] = type_
        if subfolder is not UNSET:
            field_dict["subfolder"] = subfolder

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("image", self.image.to_tuple()))

        files.append(
            ("original_ref", (None, str(self.original_ref).encode(), "text/plain"))
        )

        if not isinstance(self.overwrite, Unset):
            files.append(
                ("overwrite", (None, str(self.overwrite).encode(), "text/plain"))
            )

        if not isinstance(self.type_, Unset):
            files.append(("type", (None, str(self.type_.value).encode(), "text/plain")))

        if not isinstance(self.subfolder, Unset):
            files.append(
                ("subfolder", (None, str(self.subfolder).encode(), "text/plain"))
            )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        image = File(payload=BytesIO(d.pop("image")))

        original_ref = d.pop("original_ref")

        overwrite = d.pop("overwrite", UNSET)

        _type_ = d.pop("type", UNSET)
        type_: UploadFormType | Unset
        if isinstance(_type_, Unset):
            type_ = UNSET
        else:
            type_ = UploadFormType(_type_)

        subfolder = d.pop("subfolder", UNSET)

        upload_mask_ui_body = cls(
            image=image,
            original_ref=original_ref,
            overwrite=overwrite,
            type_=type_,
            subfolder=subfolder,
        )

        upload_mask_ui_body.additional_properties = d
        return upload_mask_ui_body

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
