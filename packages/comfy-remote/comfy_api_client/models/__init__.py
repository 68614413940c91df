"""Contains all the data models used in inputs/outputs"""

from .clear_or_delete import ClearOrDelete
from .error_message import ErrorMessage
from .execution_status_as_dict import ExecutionStatusAsDict
from .execution_status_as_dict_error_details import ExecutionStatusAsDictErrorDetails
from .execution_status_as_dict_status_str import ExecutionStatusAsDictStatusStr
from .extra_data import ExtraData
from .extra_data_extra_pnginfo import ExtraDataExtraPnginfo
from .feature_flags import FeatureFlags
from .feature_flags_extension import FeatureFlagsExtension
from .file_output import FileOutput
from .file_output_type import FileOutputType
from .free_ui_body import FreeUiBody
from .generate_files_body import GenerateFilesBody
from .generate_prefer import GeneratePrefer
from .generate_prefer_query import GeneratePreferQuery
from .generate_response_202 import GenerateResponse202
from .get_health_response_200 import GetHealthResponse200
from .get_history_entry_ui_response_200 import GetHistoryEntryUiResponse200
from .get_history_ui_response_200 import GetHistoryUiResponse200
from .get_object_info_node_ui_response_200 import GetObjectInfoNodeUiResponse200
from .get_object_info_ui_response_200 import GetObjectInfoUiResponse200
from .get_openapi_response_200 import GetOpenapiResponse200
from .get_queue_ui_response_200 import GetQueueUiResponse200
from .history_entry import HistoryEntry
from .history_entry_meta import HistoryEntryMeta
from .history_entry_meta_additional_property import HistoryEntryMetaAdditionalProperty
from .history_entry_status import HistoryEntryStatus
from .history_entry_status_messages_item_item_type_1 import (
    HistoryEntryStatusMessagesItemItemType1,
)
from .history_entry_status_status_str import HistoryEntryStatusStatusStr
from .input_spec_item_type_1 import InputSpecItemType1
from .job import Job
from .job_error import JobError
from .job_execution_error import JobExecutionError
from .job_execution_status import JobExecutionStatus
from .job_outputs import JobOutputs
from .job_preview_output import JobPreviewOutput
from .job_status import JobStatus
from .job_workflow import JobWorkflow
from .job_workflow_extra_data import JobWorkflowExtraData
from .job_workflow_prompt import JobWorkflowPrompt
from .list_jobs_response_200 import ListJobsResponse200
from .list_jobs_response_200_pagination import ListJobsResponse200Pagination
from .list_jobs_sort_by import ListJobsSortBy
from .list_jobs_sort_order import ListJobsSortOrder
from .node import Node
from .node_errors import NodeErrors
from .node_errors_additional_property import NodeErrorsAdditionalProperty
from .node_input import NodeInput
from .node_input_hidden import NodeInputHidden
from .node_input_optional import NodeInputOptional
from .node_input_order import NodeInputOrder
from .node_input_required import NodeInputRequired
from .output import Output
from .outputs import Outputs
from .post_interrupt_ui_body import PostInterruptUiBody
from .post_prompt_ui_response_200 import PostPromptUiResponse200
from .prompt import Prompt
from .prompt_error import PromptError
from .prompt_info import PromptInfo
from .prompt_info_exec_info import PromptInfoExecInfo
from .prompt_node import PromptNode
from .prompt_node_inputs import PromptNodeInputs
from .prompt_node_inputs_additional_property_type_4 import (
    PromptNodeInputsAdditionalPropertyType4,
)
from .prompt_node_meta import PromptNodeMeta
from .prompt_request import PromptRequest
from .queue_tuple_item_type_3 import QueueTupleItemType3
from .readiness import Readiness
from .readiness_status import ReadinessStatus
from .system_stats import SystemStats
from .system_stats_devices_item import SystemStatsDevicesItem
from .system_stats_system import SystemStatsSystem
from .upload_form import UploadForm
from .upload_form_type import UploadFormType
from .upload_mask_ui_body import UploadMaskUiBody
from .upload_response import UploadResponse
from .upload_response_type import UploadResponseType
from .v1_queue_prompt_response import V1QueuePromptResponse
from .validation_error_dict import ValidationErrorDict
from .validation_error_dict_extra_info import ValidationErrorDictExtraInfo
from .view_image_ui_channel import ViewImageUiChannel
from .view_image_ui_type import ViewImageUiType
from .view_metadata_response_200 import ViewMetadataResponse200
from .workflow import Workflow
from .workflow_config import WorkflowConfig
from .workflow_extra import WorkflowExtra
from .workflow_groups_item import WorkflowGroupsItem
from .workflow_nodes_item import WorkflowNodesItem
from .wrapped_prompt import WrappedPrompt

__all__ = (
    "ClearOrDelete",
    "ErrorMessage",
    "ExecutionStatusAsDict",
    "ExecutionStatusAsDictErrorDetails",
    "ExecutionStatusAsDictStatusStr",
    "ExtraData",
    "ExtraDataExtraPnginfo",
    "FeatureFlags",
    "FeatureFlagsExtension",
    "FileOutput",
    "FileOutputType",
    "FreeUiBody",
    "GenerateFilesBody",
    "GeneratePrefer",
    "GeneratePreferQuery",
    "GenerateResponse202",
    "GetHealthResponse200",
    "GetHistoryEntryUiResponse200",
    "GetHistoryUiResponse200",
    "GetObjectInfoNodeUiResponse200",
    "GetObjectInfoUiResponse200",
    "GetOpenapiResponse200",
    "GetQueueUiResponse200",
    "HistoryEntry",
    "HistoryEntryMeta",
    "HistoryEntryMetaAdditionalProperty",
    "HistoryEntryStatus",
    "HistoryEntryStatusMessagesItemItemType1",
    "HistoryEntryStatusStatusStr",
    "InputSpecItemType1",
    "Job",
    "JobError",
    "JobExecutionError",
    "JobExecutionStatus",
    "JobOutputs",
    "JobPreviewOutput",
    "JobStatus",
    "JobWorkflow",
    "JobWorkflowExtraData",
    "JobWorkflowPrompt",
    "ListJobsResponse200",
    "ListJobsResponse200Pagination",
    "ListJobsSortBy",
    "ListJobsSortOrder",
    "Node",
    "NodeErrors",
    "NodeErrorsAdditionalProperty",
    "NodeInput",
    "NodeInputHidden",
    "NodeInputOptional",
    "NodeInputOrder",
    "NodeInputRequired",
    "Output",
    "Outputs",
    "PostInterruptUiBody",
    "PostPromptUiResponse200",
    "Prompt",
    "PromptError",
    "PromptInfo",
    "PromptInfoExecInfo",
    "PromptNode",
    "PromptNodeInputs",
    "PromptNodeInputsAdditionalPropertyType4",
    "PromptNodeMeta",
    "PromptRequest",
    "QueueTupleItemType3",
    "Readiness",
    "ReadinessStatus",
    "SystemStats",
    "SystemStatsDevicesItem",
    "SystemStatsSystem",
    "UploadForm",
    "UploadFormType",
    "UploadMaskUiBody",
    "UploadResponse",
    "UploadResponseType",
    "V1QueuePromptResponse",
    "ValidationErrorDict",
    "ValidationErrorDictExtraInfo",
    "ViewImageUiChannel",
    "ViewImageUiType",
    "ViewMetadataResponse200",
    "Workflow",
    "WorkflowConfig",
    "WorkflowExtra",
    "WorkflowGroupsItem",
    "WorkflowNodesItem",
    "WrappedPrompt",
)
