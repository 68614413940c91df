from enum import StrEnum


class FileOutputType(StrEnum):
    INPUT = "input"
    OUTPUT = "output"
    TEMP = "temp"

    def __str__(self) -> str:
        return str(self.value)
