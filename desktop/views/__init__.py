"""The Qt layer of the desktop: the only package that imports QtWidgets and QtGui."""
