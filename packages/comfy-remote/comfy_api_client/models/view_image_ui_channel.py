from enum import StrEnum


class ViewImageUiChannel(StrEnum):
    A = "a"
    RGB = "rgb"
    RGBA = "rgba"

    def __str__(self) -> str:
        return str(self.value)
