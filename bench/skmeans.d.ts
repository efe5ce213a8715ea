// skmeans 0.11 ships no types: the part of its API the benchmark calls.
declare module 'skmeans' {
  interface SKMeansResult { it: number; k: number; idxs: number[]; centroids: number[][] }
  export default function skmeans(data: number[][], k: number, initial?: number[][] | 'kmrand' | 'kmpp', maxit?: number): SKMeansResult;
}
