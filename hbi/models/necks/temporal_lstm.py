"""LSTM over the frames ("seqLSTM" in CLIP4Clip)."""

from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from hbi.registry import MODELS


@MODELS.register_module()
class TemporalLSTM(BaseModule):
    """Unidirectional LSTM over the real frames plus a residual connection.

    As CLIP4Clip's ``sim_header='seqLSTM'``: the real frames (a prefix of
    each sequence) are packed, run through ``lstm_visual`` (CLIP4Clip's
    name, so its checkpoints load), padded back to T and added to the input.
    Padded positions keep their input (CLIP4Clip doubles padded frames past
    the longest sequence of the batch; those are masked downstream anyway).

    Args:
        width (int): Frame feature width D. Defaults to 512.
        num_layers (int): Stacked LSTM layers. Defaults to 1.
        init_cfg (dict, optional): mmengine init config. Defaults to None.

    Shape:
        - frames: (B, T, D); frame_mask: (B, T), 1 marks a real frame; the
          real frames of a sample must come first.
        - output: (B, T, D)
    """

    def __init__(
        self,
        width: int = 512,
        num_layers: int = 1,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.lstm_visual = nn.LSTM(
            input_size=width,
            hidden_size=width,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=False,
        )

    def forward(self, frames: Tensor, frame_mask: Tensor) -> Tensor:
        """Run the LSTM; see the class docstring for shapes."""
        num_frames = frames.shape[1]
        mask = frame_mask.bool()
        lengths = mask.sum(1)
        positions = torch.arange(num_frames, device=mask.device)
        prefix = positions < lengths[:, None]
        if not torch.equal(prefix, mask):
            raise ValueError(
                'frame_mask: real frames must come first in each '
                'sample (1...1 0...0)'
            )
        # pack_padded_sequence rejects empty sequences; an all-padded sample
        # runs on its first frame and the result is masked out below.
        packed = pack_padded_sequence(
            frames,
            lengths.clamp(min=1).cpu(),
            batch_first=True,
            enforce_sorted=False,
        )
        out, _ = self.lstm_visual(packed)
        out, _ = pad_packed_sequence(
            out, batch_first=True, total_length=num_frames
        )
        return frames + out * mask.unsqueeze(-1).to(out.dtype)
