/* Raw MPI float-sum all-reduce timing: the reference for `minillm-dist bench allreduce`.
 * Same sizes, call counts, warm-up and median-of-7-blocks timing as the Swift command.
 * Output on rank 0: mode,bytes,iterations,seconds_per_call,gb_per_s */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double measure(int count, int iterations, int in_place) {
  /* malloc + explicit zeroing, as the Swift side allocates and initializes its buffers
     (calloc could hand out untouched zero pages and time page faults instead). */
  float *send = malloc((size_t)count * sizeof(float));
  float *receive = malloc((size_t)count * sizeof(float));
  memset(send, 0, (size_t)count * sizeof(float));
  memset(receive, 0, (size_t)count * sizeof(float));
  int warmup = iterations / 10 > 2 ? iterations / 10 : 2;
  for (int i = 0; i < warmup; i++) {
    if (in_place) MPI_Allreduce(MPI_IN_PLACE, send, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    else MPI_Allreduce(send, receive, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  }
  double blocks[7];
  for (int b = 0; b < 7; b++) {
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    for (int i = 0; i < iterations; i++) {
      if (in_place) MPI_Allreduce(MPI_IN_PLACE, send, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      else MPI_Allreduce(send, receive, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    blocks[b] = (MPI_Wtime() - start) / iterations;
  }
  qsort(blocks, 7, sizeof(double), compare_double);
  free(send);
  free(receive);
  return blocks[3];
}

int main(int argc, char **argv) {
  int provided; /* the thread level the Swift runtime requests too */
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  long min_bytes = 4L << 10, max_bytes = 64L << 20, budget = 1L << 28;
  if (rank == 0) printf("mode,bytes,iterations,seconds_per_call,gb_per_s\n");
  for (long bytes = min_bytes; bytes <= max_bytes; bytes *= 4) {
    int count = (int)(bytes / sizeof(float));
    long n = budget / bytes;
    int iterations = (int)(n < 5 ? 5 : (n > 2000 ? 2000 : n));
    for (int in_place = 1; in_place >= 0; in_place--) {
      double seconds = measure(count, iterations, in_place);
      if (rank == 0)
        printf("%s,%ld,%d,%.9f,%.3f\n", in_place ? "in_place" : "out_of_place", bytes, iterations,
               seconds, bytes / seconds / 1e9);
    }
  }
  MPI_Finalize();
  return 0;
}
