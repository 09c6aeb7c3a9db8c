"""The base class that owns the ``forward(mode=...)`` dispatch."""

from abc import ABCMeta, abstractmethod
from typing import Dict, List, Literal, Optional, Union

from mmengine.model import BaseModel
from torch import Tensor, nn

from hbi.registry import MODELS

SampleList = List['VideoTextDataSample']  # noqa: F821


class BaseVideoTextModel(BaseModel, metaclass=ABCMeta):
    """Base of every ``hbi`` model: retrieval, QA and captioning.

    ``forward`` dispatches on ``mode``:

    - ``'loss'``: a dict of named loss tensors (mmengine sums keys holding
      ``loss``), used by the train loop;
    - ``'predict'``: a list of data samples with predictions filled in;
    - ``'tensor'``: the model's features (embeddings), with no
      post-processing, e.g. for gathering across ranks or caching.

    Subclasses implement the three methods; nothing else overrides forward.

    Args:
        data_preprocessor (dict | nn.Module, optional): Built from hbi's
            registry, so a model built outside a runner (without mmengine's
            default scope) finds ``VideoTextDataPreprocessor`` too. Defaults
            to ``dict(type='VideoTextDataPreprocessor')``.
        init_cfg (dict, optional): mmengine init config. Defaults to None.
    """

    def __init__(
        self,
        data_preprocessor: Optional[Union[dict, nn.Module]] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='VideoTextDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg
        )

    def forward(
        self,
        inputs: Dict[str, Tensor],
        data_samples: Optional[SampleList] = None,
        mode: Literal['loss', 'predict', 'tensor'] = 'tensor',
    ):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise ValueError(
            f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}"
        )

    @abstractmethod
    def extract_feat(self, inputs: Dict[str, Tensor]) -> dict:
        """Features of whatever modalities ``inputs`` holds."""

    @abstractmethod
    def loss(
        self, inputs: Dict[str, Tensor], data_samples: Optional[SampleList]
    ) -> Dict[str, Tensor]:
        """Named losses of one batch."""

    @abstractmethod
    def predict(
        self, inputs: Dict[str, Tensor], data_samples: Optional[SampleList]
    ) -> SampleList:
        """Data samples with predictions."""
