from enum import StrEnum


class UploadResponseType(StrEnum):
    INPUT = "input"
    OUTPUT = "output"
    TEMP = "temp"

    def __str__(self) -> str:
        return str(self.value)
