from enum import StrEnum


class GeneratePrefer(StrEnum):
    RESPOND_ASYNC = "respond-async"
    VALUE_1 = ""

    def __str__(self) -> str:
        return str(self.value)
