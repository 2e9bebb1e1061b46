"""Preparing data for a model: encoders, scalers, splits and mini-batches (see ``encoding``)."""
from .encoding import (BatchIterator, KFold, LabelEncoder, MinMaxScaler, NotFittedError, OneHotEncoder,
                       StandardScaler, StratifiedKFold, batches, get_dummies, normalize_images, one_hot,
                       to_categorical, train_test_split)

__all__ = ["NotFittedError", "to_categorical", "one_hot", "LabelEncoder", "OneHotEncoder",
           "get_dummies", "StandardScaler", "MinMaxScaler", "normalize_images", "train_test_split",
           "KFold", "StratifiedKFold", "BatchIterator", "batches"]
