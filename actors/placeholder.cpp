// placeholder while the foundation is being written
