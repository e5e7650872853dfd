/* An exec from a non-main thread is recorded (the exec is keyed by the thread's id). */
#include <pthread.h>
#include <unistd.h>

static void *run(void *unused) {
  (void)unused;
  execl("/usr/bin/true", "true", "from-thread", (char *)NULL);
  return NULL;
}

int main(void) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, run, NULL) != 0) return 2;
  pthread_join(thread, NULL);
  return 3;
}
