/* crest_context_save(struct crest_thread_context *ctx)
 * Saves the callee-saved registers, the stack pointer after return and the
 * return address; returns 0.  A restored thread enters at the return address
 * with these registers and eax = 1, so the call "returns" a second time. */
    .text
    .globl crest_context_save
    .hidden crest_context_save
    .type crest_context_save, @function
crest_context_save:
    movq (%rsp), %rax
    movq %rax, 8(%rdi)      /* rip */
    leaq 8(%rsp), %rax
    movq %rax, 0(%rdi)      /* rsp after return */
    movq %rbx, 16(%rdi)
    movq %rbp, 24(%rdi)
    movq %r12, 32(%rdi)
    movq %r13, 40(%rdi)
    movq %r14, 48(%rdi)
    movq %r15, 56(%rdi)
    stmxcsr 64(%rdi)
    fnstcw 68(%rdi)
    xorl %eax, %eax
    ret
    .size crest_context_save, .-crest_context_save
    .section .note.GNU-stack,"",@progbits
