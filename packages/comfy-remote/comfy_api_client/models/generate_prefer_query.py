from enum import StrEnum


class GeneratePreferQuery(StrEnum):
    RESPOND_ASYNC = "respond-async"

    def __str__(self) -> str:
        return str(self.value)
