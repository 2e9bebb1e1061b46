"""``keras.utils``: ``to_categorical``, ``set_random_seed``, ``pad_sequences``, ``get_file``,
``plot_model`` / ``model_to_dot``, ``PyDataset`` and ``Sequence``."""
from ..datasets.downloads import get_file  # noqa: F401
from ..inspect import model_to_dot, plot_model  # noqa: F401
from ..preprocessing import PyDataset, Sequence, pad_sequences  # noqa: F401
from ..utils import set_random_seed, to_categorical  # noqa: F401
