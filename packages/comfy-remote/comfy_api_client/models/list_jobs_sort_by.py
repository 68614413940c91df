from enum import StrEnum


class ListJobsSortBy(StrEnum):
    CREATED_AT = "created_at"
    EXECUTION_DURATION = "execution_duration"

    def __str__(self) -> str:
        return str(self.value)
