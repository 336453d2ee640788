"""Kiosk mode for retail: ``pressroom gui --kiosk``.

Full screen, no menus, large touch controls: a customer picks an album, inserts a disk,
watches one progress bar and takes the disk. An operator PIN leaves kiosk mode. It is
started by :func:`pressroom.gui.launch.run_kiosk`.
"""
