import unittest

from demo.tests import _work


class TestUsers0(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.011)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.001)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.009)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.004)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.007)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.sleep(0.096)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.009)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.004)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.04)
        self.assertEqual(8 + 1, 9)


class TestUsers1(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.002)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.02)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.015)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.146)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.031)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.crunch(10989)
        _work.sleep(0.009)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.013)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.065)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(0.017)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.sleep(0.011)
        self.assertEqual(9 + 1, 10)

    def test_retry_10(self):
        _work.sleep(0.012)
        self.assertEqual(10 + 1, 11)


class TestUsers2(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.014)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.007)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.144)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.037)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.019)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.crunch(4686)
        _work.sleep(0.014)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.374)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.015)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.crunch(17045)
        _work.sleep(0.008)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.sleep(0.047)
        self.assertEqual(9 + 1, 10)

    def test_retry_10(self):
        _work.sleep(0.012)
        self.assertEqual(10 + 1, 11)

    def test_timeout_11(self):
        _work.sleep(0.015)
        self.assertEqual(11 + 1, 12)

    def test_render_12(self):
        _work.sleep(0.019)
        self.assertEqual(12 + 1, 13)


class TestUsers3(unittest.TestCase):
    def test_create_0(self):
        _work.sleep(0.018)
        self.assertEqual(0 + 1, 1)

    def test_read_1(self):
        _work.sleep(0.037)
        self.assertEqual(1 + 1, 2)

    def test_update_2(self):
        _work.sleep(0.41)
        self.assertEqual(2 + 1, 3)

    def test_delete_3(self):
        _work.sleep(0.001)
        self.assertEqual(3 + 1, 4)

    def test_list_4(self):
        _work.sleep(0.091)
        self.assertEqual(4 + 1, 5)

    def test_filter_5(self):
        _work.crunch(4893)
        _work.sleep(0.449)
        self.assertEqual(5 + 1, 6)

    def test_sort_6(self):
        _work.sleep(0.01)
        self.assertEqual(6 + 1, 7)

    def test_page_7(self):
        _work.sleep(0.004)
        self.assertEqual(7 + 1, 8)

    def test_export_8(self):
        _work.sleep(2.0)
        self.assertEqual(8 + 1, 9)

    def test_validate_9(self):
        _work.sleep(0.01)
        self.assertEqual(9 + 1, 10)

    def test_retry_10(self):
        _work.sleep(0.083)
        self.assertEqual(10 + 1, 11)

    def test_timeout_11(self):
        _work.sleep(0.012)
        self.assertEqual(11 + 1, 12)

    def test_render_12(self):
        _work.sleep(0.006)
        self.assertEqual(12 + 1, 13)
