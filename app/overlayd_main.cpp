// placeholder while the foundation is being written
int main() { return 0; }
